"""The organisation's keys: age identities (evidence) and minisign key (checkpoints), at rest.

Layout of `<instance>/keys/` (or CUSTOS_KEYS_DIR):

    age-identities.enc   every age X25519 identity ever used, oldest first   (private, sealed)
    minisign-key.enc     the Ed25519 checkpoint signing key                    (private, sealed)
    recipients.txt       the matching `age1...` recipients, current one last  (public)
    minisign.pub         the minisign public key file (`minisign -p`)         (public)
    rotation.json        present only while `keys rotate` is rewrapping blobs
    openrosa-form-key.enc  the RSA key phones encrypt submissions to (made on first use;
                         app/openrosa/form_key.py)                             (private, sealed)
    openrosa-form-key.pub  its public half (PEM), written by `keys form-key` for intake
                         nodes, which publish it once pinned                   (public)

Private files are AES-256-GCM under derive_key(master, "org-keys"), with the file's name as
associated data so one sealed file cannot be swapped for another. An intake-only node
(CUSTOS_INTAKE_ONLY=1) carries the two public files only: it encrypts new evidence to the
recipients and refuses every read and every signature.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from app.crypto.age import Identity, Recipient, parse_identity_file
from app.crypto.minisign import SignatureError, SigningKey, parse_public_key
from app.security.key_files import (
    KeyStoreError,
    create_key_file,
    replace_key_file,
)
from app.security.master_key import derive_key, load_previous_master_keys

IDENTITIES_FILE = "age-identities.enc"
SIGNING_KEY_FILE = "minisign-key.enc"
RECIPIENTS_FILE = "recipients.txt"
MINISIGN_PUB_FILE = "minisign.pub"
# An intake node's own checkpoint key (app/custody/signers.py): sealed under that node's
# master key, its public half listed on the reading node by `flask custody signers add`.
NODE_SIGNING_KEY_FILE = "node-minisign-key.enc"
NODE_MINISIGN_PUB_FILE = "node-minisign.pub"
PRIVATE_FILES = (IDENTITIES_FILE, SIGNING_KEY_FILE)
PUBLIC_FILES = (RECIPIENTS_FILE, MINISIGN_PUB_FILE)

READS_DISABLED_MESSAGE = "this server is an intake-only node and cannot read evidence"
SIGNING_DISABLED_MESSAGE = (
    "this server is an intake-only node: it holds no private keys and cannot sign "
    "custody checkpoints"
)

_SEALED_MAGIC = b"custos-org-key/v1\n"
_NONCE_BYTES = 12
_CACHE_EXTENSION = "custos.org_keys_cache"


class ReadsDisabled(RuntimeError):
    """An intake-only node was asked to decrypt or sign; the message is safe to show."""

    def __init__(self, message: str = READS_DISABLED_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


# --- Where the keys live ---------------------------------------------------------------------


def keys_dir() -> Path:
    configured = current_app.config.get("CUSTOS_KEYS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def intake_only() -> bool:
    return bool(current_app.config.get("CUSTOS_INTAKE_ONLY"))


def keys_initialised() -> bool:
    """Public files present, and (unless this is an intake-only node) the private ones too."""
    directory = keys_dir()
    needed = PUBLIC_FILES if intake_only() else PUBLIC_FILES + PRIVATE_FILES
    return all((directory / name).is_file() for name in needed)


# --- Creating keys ---------------------------------------------------------------------------


def init_keys(keys_dir: Path, master: bytes) -> None:
    """Create the age identity and the minisign key in keys_dir; never overwrite a key."""
    keys_dir = Path(keys_dir)
    present = [name for name in PRIVATE_FILES + PUBLIC_FILES if (keys_dir / name).exists()]
    if present:
        raise KeyStoreError(
            f"refusing to overwrite existing keys in {keys_dir} ({', '.join(present)}); "
            "`flask keys rotate` adds a new identity instead"
        )
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    identity = Identity.generate()
    signer = SigningKey.generate()
    # Private parts first: a crash part-way leaves no public key whose private half is lost.
    create_key_file(
        keys_dir / IDENTITIES_FILE,
        _seal(master, IDENTITIES_FILE, _identity_file_text([identity])),
        0o600,
    )
    signer_json = json.dumps(
        {"key_id": signer.key_id.hex(), "private": signer.private_bytes().hex()}
    ).encode()
    create_key_file(
        keys_dir / SIGNING_KEY_FILE, _seal(master, SIGNING_KEY_FILE, signer_json), 0o600
    )
    create_key_file(
        keys_dir / RECIPIENTS_FILE, _recipients_text([identity.recipient]).encode(), 0o644
    )
    create_key_file(
        keys_dir / MINISIGN_PUB_FILE,
        signer.public_key_file("custos organisation checkpoint key").encode(),
        0o644,
    )


def init_node_signer(keys_dir: Path, master: bytes, node_name: str) -> SigningKey:
    """Create an intake node's own checkpoint key (sealed) and its .pub; never overwrite."""
    keys_dir = Path(keys_dir)
    present = [
        name
        for name in (NODE_SIGNING_KEY_FILE, NODE_MINISIGN_PUB_FILE)
        if (keys_dir / name).exists()
    ]
    if present:
        raise KeyStoreError(f"refusing to overwrite {', '.join(present)} in {keys_dir}")
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    signer = SigningKey.generate()
    data = json.dumps({"key_id": signer.key_id.hex(), "private": signer.private_bytes().hex()})
    create_key_file(
        keys_dir / NODE_SIGNING_KEY_FILE,
        _seal(master, NODE_SIGNING_KEY_FILE, data.encode()),
        0o600,
    )
    create_key_file(
        keys_dir / NODE_MINISIGN_PUB_FILE,
        signer.public_key_file(f"custos intake node {node_name} checkpoint key").encode(),
        0o644,
    )
    return signer


def add_identity(keys_dir: Path, master: bytes, previous: list[bytes] | None = None) -> Identity:
    """Append a new age identity (sealed under `master`); the recipients file is not touched."""
    keys_dir = Path(keys_dir)
    identities = _load_identities(keys_dir, [master, *(previous or [])])
    new = Identity.generate()
    ordered = [*reversed(identities), new]  # stored oldest first
    replace_key_file(
        keys_dir / IDENTITIES_FILE,
        _seal(master, IDENTITIES_FILE, _identity_file_text(ordered)),
        0o600,
    )
    return new


def make_recipient_current(keys_dir: Path, recipient: Recipient) -> None:
    """Put `recipient` last in recipients.txt (new evidence is encrypted to it)."""
    keys_dir = Path(keys_dir)
    recipients = [r for r in _read_recipients(keys_dir) if r != recipient]
    replace_key_file(
        keys_dir / RECIPIENTS_FILE, _recipients_text([*recipients, recipient]).encode()
    )


# --- Reading keys (the interfaces others call) -----------------------------------------------


def org_recipients() -> list[Recipient]:
    """Whom new evidence is encrypted to: the current identity's recipient, never simply the
    last line of recipients.txt (app/security/recipient_pin.py says why).

    An intake-only node takes the recipient pinned by fingerprint; a reading node its newest
    identity, which the master key authenticates. Older recipients are not written to: after
    a rotation nothing new should open with a retired key.
    """
    from app.security.recipient_pin import RecipientPinError, configured_pin, pinned_among

    if intake_only():
        pin = configured_pin()
        if pin is None:
            raise KeyStoreError(
                "an intake-only node encrypts only to a pinned recipient: set "
                "CUSTOS_ORG_RECIPIENT_FINGERPRINT"
            )
        try:
            return [pinned_among(all_recipients(), pin)]
        except RecipientPinError as exc:
            raise KeyStoreError(str(exc)) from None
    return [org_identities()[0].recipient]


def all_recipients() -> list[Recipient]:
    """Every organisation recipient, oldest first (the current one is last)."""
    directory = keys_dir()
    return list(_cached(directory / RECIPIENTS_FILE, lambda: _read_recipients(directory)))


def org_identities() -> list[Identity]:
    """Every organisation identity, newest first. Raises ReadsDisabled on an intake-only node."""
    if intake_only():
        raise ReadsDisabled()
    directory = keys_dir()
    return list(
        _cached(
            directory / IDENTITIES_FILE, lambda: _load_identities(directory, _candidate_masters())
        )
    )


def signing_key() -> SigningKey:
    """The checkpoint signing key: the organisation's, or on an intake-only node that node's
    own (raises ReadsDisabled there if `keys init-node-signer` never ran)."""
    directory = keys_dir()
    if intake_only():
        if not (directory / NODE_SIGNING_KEY_FILE).is_file():
            raise ReadsDisabled(SIGNING_DISABLED_MESSAGE)
        return _cached(
            directory / NODE_SIGNING_KEY_FILE,
            lambda: _load_signing_key(directory, _candidate_masters(), NODE_SIGNING_KEY_FILE),
        )
    return _cached(
        directory / SIGNING_KEY_FILE, lambda: _load_signing_key(directory, _candidate_masters())
    )


def node_public_key() -> str:
    """This intake node's own checkpoint key (`RW...`), for `flask custody signers add`."""
    path = keys_dir() / NODE_MINISIGN_PUB_FILE
    lines = [line.strip() for line in _read_public(path).splitlines() if line.strip()]
    try:
        parse_public_key(lines[-1])
    except (IndexError, ValueError, SignatureError) as exc:
        raise KeyStoreError(
            f"{NODE_MINISIGN_PUB_FILE} in {path.parent} is damaged: {exc}"
        ) from None
    return lines[-1]


def minisign_public_key() -> str:
    """The `RW...` public key that verifies checkpoints (`minisign -P`)."""
    path = keys_dir() / MINISIGN_PUB_FILE
    text = _read_public(path)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        parse_public_key(lines[-1])  # refuse a damaged file rather than publish it
    except (IndexError, ValueError, SignatureError) as exc:
        raise KeyStoreError(f"{MINISIGN_PUB_FILE} in {path.parent} is damaged: {exc}") from None
    return lines[-1]


def sealed_node_key(name: str, generate, load):
    """A private key file of this node's beside the organisation's, sealed the same way.

    Made on first use (`generate()` gives its bytes; two workers racing keep the first one
    written), then read back through `load(bytes)` and kept until the file changes. Raises
    ReadsDisabled on an intake-only node, which holds no master-sealed private key of its own
    for this purpose, and KeyStoreError when the folder cannot take the new file.
    """
    if intake_only():
        raise ReadsDisabled()
    directory = keys_dir()
    path = directory / name
    if not path.is_file():
        try:
            create_key_file(path, _seal(master_key(), name, generate()), 0o600)
        except KeyStoreError:
            pass  # another worker wrote it first: use theirs
        except OSError as exc:
            raise KeyStoreError(f"cannot create {name} in {directory}: {exc}") from None
    return _cached(path, lambda: load(_open(_candidate_masters(), name, _read_private(path))))


def publish_public_file(name: str, data: bytes) -> None:
    """Write (or replace) a public file of this node's in its keys folder, mode 0644."""
    directory = keys_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    replace_key_file(directory / name, data, 0o644)


def master_key() -> bytes:
    return current_app.extensions["custos.master_key"]


def _candidate_masters() -> list[bytes]:
    """The current master, then retired ones (CUSTOS_PREVIOUS_MASTER_KEYS) still accepted."""
    previous = load_previous_master_keys(current_app.config.get("CUSTOS_PREVIOUS_MASTER_KEYS", []))
    return [master_key(), *previous]


def previous_masters() -> list[bytes]:
    return _candidate_masters()[1:]


# --- Sealing and files -----------------------------------------------------------------------


def _seal(master: bytes, name: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    aead = AESGCM(derive_key(master, "org-keys"))
    return _SEALED_MAGIC + nonce + aead.encrypt(nonce, plaintext, _SEALED_MAGIC + name.encode())


def _open(masters: list[bytes], name: str, sealed: bytes) -> bytes:
    if not sealed.startswith(_SEALED_MAGIC):
        raise KeyStoreError(f"{name} is not a sealed Custos key file")
    body = sealed[len(_SEALED_MAGIC) :]
    nonce, ciphertext = body[:_NONCE_BYTES], body[_NONCE_BYTES:]
    for master in masters:
        try:
            return AESGCM(derive_key(master, "org-keys")).decrypt(
                nonce, ciphertext, _SEALED_MAGIC + name.encode()
            )
        except InvalidTag:
            continue
    raise KeyStoreError(
        f"{name} does not open with the master key (nor any CUSTOS_PREVIOUS_MASTER_KEYS): "
        "wrong master key, or the file was altered"
    )


def _read_private(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(
            f"no private key file {path.name} in {path.parent}: run `flask --app wsgi keys init`, "
            "or set CUSTOS_INTAKE_ONLY=1 on a node that must not read evidence"
        ) from None


def read_public_file(path: Path) -> str:
    """A public key file's text; KeyStoreError saying why when it cannot be read."""
    return _read_public(path)


def _read_public(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyStoreError(
            f"no {path.name} in {path.parent}: run `flask --app wsgi keys init` "
            "(or copy the public key files from the reading node)"
        ) from None
    except PermissionError:
        raise KeyStoreError(
            f"{path.name} in {path.parent} is not readable by this process "
            "(check its owner and mode: public key files are 0644)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(f"{path.name} in {path.parent} cannot be read: {exc}") from None


def _load_identities(directory: Path, masters: list[bytes]) -> list[Identity]:
    sealed = _read_private(directory / IDENTITIES_FILE)
    text = _open(masters, IDENTITIES_FILE, sealed).decode("ascii")
    return list(reversed(parse_identity_file(text)))  # newest first: it usually matches


def _load_signing_key(
    directory: Path, masters: list[bytes], name: str = SIGNING_KEY_FILE
) -> SigningKey:
    sealed = _read_private(directory / name)
    data = json.loads(_open(masters, name, sealed))
    return SigningKey.from_private_bytes(
        bytes.fromhex(data["private"]), bytes.fromhex(data["key_id"])
    )


def _read_recipients(directory: Path) -> list[Recipient]:
    text = _read_public(directory / RECIPIENTS_FILE)
    try:
        recipients = [
            Recipient.parse(line.strip())
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
    except ValueError as exc:
        raise KeyStoreError(f"{RECIPIENTS_FILE} in {directory} is damaged: {exc}") from None
    if not recipients:
        raise KeyStoreError(f"{RECIPIENTS_FILE} in {directory} lists no recipient")
    return recipients


def _identity_file_text(identities: list[Identity]) -> bytes:
    # The age-keygen file format, so an operator can hand it to `age -d -i` in an emergency.
    lines = ["# Custos organisation age identities, oldest first"]
    for identity in identities:
        lines += [f"# public key: {identity.recipient}", str(identity)]
    return ("\n".join(lines) + "\n").encode("ascii")


def _recipients_text(recipients: list[Recipient]) -> str:
    lines = [
        "# Custos organisation age recipients, oldest first.",
        "# New evidence is encrypted to the LAST one; older ones remain for reading old blobs.",
        *(str(recipient) for recipient in recipients),
    ]
    return "\n".join(lines) + "\n"


def _cached(path: Path, load):
    """Reload a key file only when it changes (rotation replaces files atomically)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return load()  # raises the explanatory KeyStoreError
    cache = current_app.extensions.setdefault(_CACHE_EXTENSION, {})
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    hit = cache.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = load()
    cache[path] = (stamp, value)
    return value
