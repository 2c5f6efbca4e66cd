"""Key rotation of encrypted and sealed columns: re-seal every value not under the current key.

EncryptedText values go to the current master key, SealedText values to the current
organisation recipient; compare-and-swap on the old ciphertext leaves a value an app server
rewrote meanwhile alone (see app/security/encrypted_type.py, "Rotating the master key").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, MetaData, Table, func, select, update
from sqlalchemy.orm import Session

from app.security.encrypted_type import (
    EncryptedText,
    Sealed,
    SealedText,
    cipher_for,
    field_context,
)


def encrypted_tables(metadata: MetaData) -> list[Table]:
    """Tables of `metadata` with at least one EncryptedText column."""
    return [
        table
        for table in metadata.sorted_tables
        if any(isinstance(column.type, EncryptedText) for column in table.columns)
    ]


def reencrypt_all(session: Session, metadata: MetaData, *, batch_size: int = 500) -> dict[str, int]:
    """Re-seal every value not sealed with the current key; returns values rotated per table.

    Runs in the caller's transaction (commit afterwards). Raises FieldDecryptionError, before
    writing anything more, on a value whose key this server does not hold.
    """
    return {
        table.name: reencrypt_table(session, table, batch_size=batch_size)
        for table in encrypted_tables(metadata)
    }


def reseal_all(session: Session, metadata: MetaData, *, batch_size: int = 500) -> dict[str, int]:
    """Re-seal every SealedText value not sealed to the current organisation recipient.

    What `keys rotate` runs once the new recipient is current: legacy AES-GCM values and
    values sealed to a retired recipient are opened with the identities and sealed again.
    """
    return {
        table.name: reencrypt_table(session, table, batch_size=batch_size, only_sealed=True)
        for table in encrypted_tables(metadata)
        if any(isinstance(column.type, SealedText) for column in table.columns)
    }


def reencrypt_table(
    session: Session, table: Table, *, batch_size: int = 500, only_sealed: bool = False
) -> int:
    """Re-seal the stale values of one table under the current key; returns how many.

    EncryptedText values go to the current master key; SealedText values (and legacy AES-GCM
    values in SealedText columns) to the current organisation recipient.
    """
    (primary_key,) = table.primary_key.columns
    rotated = 0
    for row_id, column, blob in _stale_values(session, table, batch_size, only_sealed):
        context = field_context(table.name, column.name, row_id)
        cipher = cipher_for(isinstance(column.type, SealedText))
        fresh = Sealed(cipher.encrypt(cipher.decrypt(blob, context), context))
        # Compare-and-swap on the old ciphertext: a value rewritten meanwhile by an app server
        # (already under the current key) is not overwritten with an older plaintext.
        result = session.execute(
            update(table).where(primary_key == row_id, column == blob).values({column.name: fresh})
        )
        rotated += result.rowcount
        if result.rowcount:
            _refresh_sealed_sizes(session, table, row_id)
    return rotated


def _refresh_sealed_sizes(session: Session, table: Table, row_id: object) -> None:
    """Keep a row's `sealed_sizes` (what intake receipts show, app/security/sealed_sizes.py)
    equal to what its encrypted columns now store: a value re-sealed by rotation can change
    length (a legacy AES-GCM value becomes an age file; another recipient type, another
    stanza), and the flush that records sizes does not see a rotation's UPDATE."""
    if "sealed_sizes" not in table.c:
        return
    (primary_key,) = table.primary_key.columns
    columns = [column for column in table.columns if isinstance(column.type, EncryptedText)]
    lengths = session.execute(
        select(*(func.length(column) for column in columns)).where(primary_key == row_id)
    ).one()
    sizes = {
        column.name: int(length)
        for column, length in zip(columns, lengths, strict=True)
        if length is not None
    }
    session.execute(
        update(table).where(primary_key == row_id).values(sealed_sizes=dict(sorted(sizes.items())))
    )


def count_values_needing_rotation(session: Session, metadata: MetaData) -> int:
    """How many stored values are sealed with a key other than the current one."""
    return sum(
        1
        for table in encrypted_tables(metadata)
        for _ in _stale_values(session, table, batch_size=500)
    )


def _stale_values(
    session: Session, table: Table, batch_size: int, only_sealed: bool = False
) -> Iterator[tuple[object, Column[Any], Sealed]]:
    (primary_key,) = table.primary_key.columns
    kind = SealedText if only_sealed else EncryptedText
    columns = [column for column in table.columns if isinstance(column.type, kind)]
    ciphers = [cipher_for(isinstance(column.type, SealedText)) for column in columns]
    last_id = None
    while True:
        # Keyset pagination on the primary key, so rewriting rows never shifts the batches.
        query = select(primary_key, *columns).order_by(primary_key).limit(batch_size)
        if last_id is not None:
            query = query.where(primary_key > last_id)
        rows = session.execute(query).all()
        for row in rows:
            for column, cipher, blob in zip(columns, ciphers, row[1:], strict=True):
                if blob is not None and cipher.needs_rotation(blob):
                    yield row[0], column, blob
        if len(rows) < batch_size:
            return
        last_id = rows[-1][0]
