"""EncryptedText and SealedText: column types whose values are bound to their table, column, row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from flask import Flask, current_app
from sqlalchemy import Column, LargeBinary, String, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstanceState, Mapped, Mapper, Session, mapped_column
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.types import TypeDecorator

from app.security.field_crypto import FieldDecryptionError, FieldKeyring
from app.security.field_sealing import (
    FieldSealer,
    SealedKeyAbsent,
    UnreadableText,
    UnreadableValueRefused,
    unreadable,
)
from app.security.sealed_sizes import record_sealed_sizes

# How a value travels
# -------------------
# App code only ever sees `str`. On flush, a `before_flush` hook replaces every new or changed
# EncryptedText value with a `Sealed` ciphertext whose associated data is
# "<table>.<column>.<row id>" (see field_crypto.py for the wire format); after the flush the
# plaintext is put back as the committed value. On load and refresh, instance events open the
# `Sealed` bytes the column type returned. The type itself refuses plain `str` binds, so a bulk
# UPDATE or Core INSERT that bypasses the ORM fails instead of writing plaintext.
#
# SealedText values travel the same way, but are sealed to the organisation's age recipient
# (field_sealing.py) instead of the master key: a node without the organisation identity loads
# each as an `UnreadableText` sentence, refuses to store that sentence, and refuses to replace a
# value it could not read. `keys rotate` re-seals them (`field_rotation.reseal_all`).
#
# The row id is part of the associated data, so rows of these tables need their primary key
# before the ciphertext is built: use `ClientIdMixin` (a UUID made by the application). Renaming
# a table or an encrypted column, or changing a row's id, makes existing ciphertexts fail
# authentication: such a migration has to decrypt under the old name and re-seal under the new.
#
# Rotating the master key
# -----------------------
# 1. Generate a new master key (`flask keys init-master` writes one to a new file).
# 2. Restart every server with CUSTOS_MASTER_KEY=<new> and CUSTOS_PREVIOUS_MASTER_KEYS=<old>[,...]
#    (comma-separated, newest first). New writes use the new key; old values still open.
# 3. Run the rotate command (`field_rotation.reencrypt_all`): every value whose key id is not
#    the current one is re-sealed under the new key. It compares-and-swaps on the old
#    ciphertext, so a value an app server rewrote meanwhile is left alone (it already has the
#    new key); run it until it reports nothing left (`count_values_needing_rotation`).
# 4. Only then drop the old key from CUSTOS_PREVIOUS_MASTER_KEYS and destroy it. A value sealed
#    with a key the server no longer holds fails loudly with the key's id.

KEYRING_EXTENSION = "custos.keyring"
SEALER_EXTENSION = "custos.field_sealer"
_LAYOUT_INFO_KEY = "custos.encrypted_layout"
_PENDING_INFO_KEY = "custos.sealed_pending"


class Sealed(bytes):
    """Ciphertext on its way to or from the database; anything else is refused by the column."""

    __slots__ = ()


class EncryptedText(TypeDecorator[str]):
    """Text stored as AES-256-GCM ciphertext bound to its table, column and row.

    Values are sealed by the ORM wiring in this module; the type only passes `Sealed` bytes
    through, so nothing can write plaintext into the column by going around the ORM. Encrypted
    columns cannot be searched or compared in SQL (every value has a fresh random nonce).
    """

    impl = LargeBinary
    cache_ok = True

    @property
    def python_type(self) -> type:
        return str

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return bytes(value)
        if isinstance(value, str):
            raise TypeError("refusing to store plaintext in an encrypted column")
        # Raw bytes could be plaintext in disguise; only values sealed here may pass.
        raise TypeError(
            f"refusing to store {type(value).__name__} in an encrypted column; "
            "assign str through the ORM"
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> Sealed | None:
        if value is None:
            return None
        return Sealed(bytes(value))


class SealedText(EncryptedText):
    """Text sealed to the organisation's age recipient (field_sealing.py), bound the same way.

    A node holding only the public recipient writes these values and cannot read them back: on
    such a node a loaded value is an `UnreadableText` saying so, never the ciphertext or an
    error. For every field that identifies a witness or holds testimony, places or field notes.
    """

    cache_ok = True


def new_row_id() -> str:
    return str(uuid4())


class ClientIdMixin:
    """A string primary key made by the application, so it exists before any value is sealed."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_row_id)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.id is None:
            self.id = new_row_id()


def field_context(table: str, column: str, row_id: object) -> str:
    """Associated data naming where a value lives; a copy anywhere else fails authentication."""
    return f"{table}.{column}.{row_id}"


def init_field_encryption(app: Flask, keyring: FieldKeyring) -> None:
    """Install the keyring that seals and opens EncryptedText values for this app."""
    if not isinstance(keyring, FieldKeyring):
        raise TypeError("init_field_encryption needs a FieldKeyring")
    app.extensions[KEYRING_EXTENSION] = keyring


def init_field_sealing(app: Flask, sealer: FieldSealer) -> None:
    """Install the sealer that seals and opens SealedText values for this app."""
    if not isinstance(sealer, FieldSealer):
        raise TypeError("init_field_sealing needs a FieldSealer")
    app.extensions[SEALER_EXTENSION] = sealer


def current_sealer() -> FieldSealer:
    """The running app's sealer; an error, never a default, when none is installed."""
    sealer = current_app.extensions.get(SEALER_EXTENSION)
    if sealer is None:
        raise RuntimeError("field sealing is not set up: call init_field_sealing in create_app")
    return sealer


def cipher_for(sealed: bool) -> FieldKeyring | FieldSealer:
    return current_sealer() if sealed else current_keyring()


def current_keyring() -> FieldKeyring:
    """The running app's keyring; an error, never a default, when none is installed."""
    keyring = current_app.extensions.get(KEYRING_EXTENSION)
    if keyring is None:
        raise RuntimeError(
            "field encryption is not set up: call init_field_encryption(app, keyring) "
            "in create_app before touching encrypted columns"
        )
    return keyring


# --- Which attributes of a mapped class are encrypted -------------------------------------------


@dataclass(frozen=True)
class _EncryptedField:
    attr: str
    table: str
    column: str
    sealed: bool


@dataclass(frozen=True)
class _EncryptedLayout:
    id_attr: str
    fields: tuple[_EncryptedField, ...]


def _layout(mapper: Mapper[Any]) -> _EncryptedLayout | None:
    """The encrypted attributes of a mapped class (None when it has none), cached per class."""
    info = mapper.class_manager.info
    if _LAYOUT_INFO_KEY not in info:
        info[_LAYOUT_INFO_KEY] = _build_layout(mapper)
    return info[_LAYOUT_INFO_KEY]


def _build_layout(mapper: Mapper[Any]) -> _EncryptedLayout | None:
    fields = tuple(
        _EncryptedField(
            prop.key, column.table.name, column.name, isinstance(column.type, SealedText)
        )
        for prop in mapper.column_attrs
        for column in prop.columns[:1]
        if isinstance(column, Column) and isinstance(column.type, EncryptedText)
    )
    if not fields:
        return None
    if len(mapper.primary_key) != 1:
        raise TypeError(
            f"{mapper.class_.__name__} has encrypted columns, which are bound to the row id; "
            "it needs a single-column primary key (use ClientIdMixin)"
        )
    id_attr = mapper.get_property_by_column(mapper.primary_key[0]).key
    return _EncryptedLayout(id_attr, fields)


def _row_id(state: InstanceState[Any], layout: _EncryptedLayout) -> object:
    if state.key is not None:
        return state.key[1][0]
    return state.dict.get(layout.id_attr)


# --- Sealing on flush ----------------------------------------------------------------------------


def _seal_before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    _restore_plaintext(session)  # leftovers of a flush that never finished
    pending = session.info.setdefault(_PENDING_INFO_KEY, [])
    # A partial flush (the deprecated `Session.flush(objects)`) writes only those objects; the
    # others keep their plaintext change for a later flush.
    flushing = None if not instances else {id(obj) for obj in instances}
    for obj in (*session.new, *session.dirty):
        if flushing is not None and id(obj) not in flushing:
            continue
        state = instance_state(obj)
        layout = _layout(state.mapper)
        if layout is None:
            continue
        row_id = _prepare_row_id(obj, state, layout)
        written: dict[str, int | None] = {}
        for field in layout.fields:
            value = state.dict.get(field.attr)
            if value is None and field.attr in state.dict and state.key is not None:
                if state.attrs[field.attr].history.has_changes():
                    written[field.attr] = None  # a value cleared: no longer recorded
                continue
            if value is None or isinstance(value, Sealed):
                continue
            if isinstance(value, UnreadableText):
                if state.key is not None and not state.attrs[field.attr].history.has_changes():
                    continue  # loaded on a node without the identity, left as it was
                raise UnreadableValueRefused(
                    f"{type(obj).__name__}.{field.attr}: refusing to store the placeholder of a "
                    "value this node cannot open",
                    field.attr,
                )
            if not isinstance(value, str):
                raise TypeError(
                    f"{type(obj).__name__}.{field.attr} is encrypted text; "
                    f"got {type(value).__name__}"
                )
            history = state.attrs[field.attr].history
            if state.key is not None and not history.has_changes():
                continue  # unchanged plaintext of a loaded row: the ORM will not write it
            if any(isinstance(old, UnreadableText) for old in history.deleted or ()):
                # A node that cannot read a value does not replace it (an edit form would have
                # shown the placeholder, not the words it overwrites).
                raise UnreadableValueRefused(
                    f"{type(obj).__name__}.{field.attr}: refusing to replace a value this node "
                    "cannot open",
                    field.attr,
                )
            cipher = cipher_for(field.sealed)
            sealed = Sealed(cipher.encrypt(value, field_context(field.table, field.column, row_id)))
            # Straight into the instance dict: the attribute's history already records the
            # change, and going through setattr would run validators and set-events on bytes.
            state.dict[field.attr] = sealed
            pending.append((state, field.attr, value, sealed))
            written[field.attr] = len(sealed)
        record_sealed_sizes(obj, written)


def _prepare_row_id(obj: object, state: InstanceState[Any], layout: _EncryptedLayout) -> object:
    if state.key is not None:
        if state.dict.get(layout.id_attr, state.key[1][0]) != state.key[1][0]:
            raise ValueError(
                f"{type(obj).__name__} {state.key[1][0]}: the primary key of a row with "
                "encrypted columns cannot change; its ciphertexts are bound to it"
            )
        return state.key[1][0]
    row_id = state.dict.get(layout.id_attr)
    if row_id is None:
        if not isinstance(obj, ClientIdMixin):
            raise TypeError(
                f"{type(obj).__name__} has encrypted columns, so its primary key must be set "
                "before flush (use ClientIdMixin)"
            )
        row_id = new_row_id()
        setattr(obj, layout.id_attr, row_id)
    return row_id


def _restore_after_flush(session: Session, flush_context: Any) -> None:
    _restore_plaintext(session, committed=True)


def _restore_after_failed_flush(session: Session, previous_transaction: Any) -> None:
    _restore_plaintext(session)


def _restore_plaintext(session: Session, committed: bool = False) -> None:
    """Put plaintext back where the flush left ciphertext, so app code always sees str.

    After a successful flush the plaintext becomes the committed value; after a failed one it
    goes back as the pending change it was, to be sealed again by the next flush.
    """
    for state, attr, plaintext, sealed in session.info.pop(_PENDING_INFO_KEY, ()):
        obj = state.obj()
        if obj is None or state.dict.get(attr) is not sealed:
            continue
        # An attribute still listed in committed_state was not written by this flush; marking
        # it committed would silently drop the change.
        if committed and attr not in state.committed_state:
            set_committed_value(obj, attr, plaintext)
        else:
            state.dict[attr] = plaintext


# --- Opening on load -----------------------------------------------------------------------------


def _open_on_load(target: object, context: Any) -> None:
    _open_fields(target, None)


def _open_on_refresh(target: object, context: Any, attrs: Iterable[str] | None) -> None:
    _open_fields(target, attrs)


def _open_fields(obj: object, attrs: Iterable[str] | None) -> None:
    state = instance_state(obj)
    layout = _layout(state.mapper)
    if layout is None:
        return
    wanted = None if attrs is None else set(attrs)
    for field in layout.fields:
        if wanted is not None and field.attr not in wanted:
            continue
        value = state.dict.get(field.attr)
        if not isinstance(value, Sealed):
            continue
        context = field_context(field.table, field.column, _row_id(state, layout))
        try:
            plaintext = cipher_for(field.sealed).decrypt(value, context)
        except SealedKeyAbsent:
            # Intact, but sealed to a key this node does not hold (an intake node): pages and
            # the API show that sentence instead of failing.
            set_committed_value(obj, field.attr, unreadable())
            continue
        except FieldDecryptionError:
            # Expire the attribute so every later access tries (and fails) again, rather than
            # handing the ciphertext to code that expects text.
            if state.session is not None:
                state.session.expire(obj, [field.attr])
            raise
        set_committed_value(obj, field.attr, plaintext)


event.listen(Session, "before_flush", _seal_before_flush)
event.listen(Session, "after_flush_postexec", _restore_after_flush)
event.listen(Session, "after_soft_rollback", _restore_after_failed_flush)
# On the Mapper class itself: every mapped class, present and future, whatever its declarative
# base. (This target already covers all classes; propagate=True is for class targets and
# SQLAlchemy 2.1 rejects it here.)
event.listen(Mapper, "load", _open_on_load, restore_load_context=True)
event.listen(Mapper, "refresh", _open_on_refresh, restore_load_context=True)
event.listen(Mapper, "refresh_flush", _open_on_refresh)
