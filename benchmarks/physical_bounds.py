"""What no intake can beat on this machine, measured in the same run as the intake itself.

Three bounds over the same bytes (issue 24): writing them to the same filesystem in 1 MiB
writes with one `fsync` at the end; SHA-256 plus ChaCha20-Poly1305 in age's 64 KiB chunks on
one core in memory; and sending them over loopback HTTP to a server that reads and discards
them. Custos's intake hashes, encrypts, writes and receives over HTTP, so it can at best
match the slowest of the three.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

MIB = 1024 * 1024
AGE_CHUNK = 64 * 1024  # age's STREAM chunk (age-encryption.org/v1, "payload")


@dataclass(frozen=True)
class Bound:
    name: str
    size: int
    seconds: float

    @property
    def mib_per_s(self) -> float:
        return self.size / MIB / self.seconds


def disk_write_bound(source: Path, directory: Path) -> Bound:
    """Copy `source` into `directory` in 1 MiB writes, fsync once at the end; then remove it."""
    target = directory / "bound-disk-write"
    size = source.stat().st_size
    buffer = bytearray(MIB)
    view = memoryview(buffer)
    start = time.perf_counter()
    with open(source, "rb", buffering=0) as reader, open(target, "wb", buffering=0) as writer:
        while count := reader.readinto(buffer):
            writer.write(view[:count])
        os.fsync(writer.fileno())
    seconds = time.perf_counter() - start
    target.unlink()
    return Bound("disk: 1 MiB writes + fsync", size, seconds)


def crypto_bound(source: Path) -> Bound:
    """SHA-256 of the bytes and ChaCha20-Poly1305 over them in 64 KiB chunks, one core.

    The bytes are read from the page cache (the source was just written), which costs far
    less than the hashing and sealing measured here.
    """
    size = source.stat().st_size
    aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
    digest = hashlib.sha256()
    counter = 0
    start = time.perf_counter()
    with open(source, "rb", buffering=0) as reader:
        while block := reader.read(MIB):
            digest.update(block)
            view = memoryview(block)
            for offset in range(0, len(block), AGE_CHUNK):
                nonce = counter.to_bytes(11, "big") + b"\x00"
                aead.encrypt(nonce, view[offset : offset + AGE_CHUNK], None)
                counter += 1
    seconds = time.perf_counter() - start
    return Bound("crypto: SHA-256 + ChaCha20-Poly1305", size, seconds)


def lowest(bounds: list[Bound]) -> Bound:
    return min(bounds, key=lambda b: b.mib_per_s)


def export_crypto_bound(source: Path, threads: int = 1) -> Bound:
    """An encrypted export's four passes over the bytes, in memory, on `threads` cores.

    Per 64 KiB chunk: ChaCha20-Poly1305 decryption (the vault's; ciphertexts of one random
    MiB, decrypted again for each MiB, cost the same per byte), SHA-256 of the plaintext (the
    BagIt manifest), ChaCha20-Poly1305 encryption (age) and SHA-256 of that ciphertext (the
    export's recorded hash). With two threads each takes half the file: both GIL-released
    primitives run at once, the best any split of the work could do on two cores.
    """
    import threading

    size = source.stat().st_size
    aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
    nonce = bytes(12)
    sealed = [aead.encrypt(nonce, os.urandom(AGE_CHUNK), None) for _ in range(MIB // AGE_CHUNK)]
    share = -(-size // threads // MIB) * MIB

    def work(start: int) -> None:
        manifest, output = hashlib.sha256(), hashlib.sha256()
        with open(source, "rb", buffering=0) as reader:
            reader.seek(start)
            left = share
            while left > 0 and (block := reader.read(min(MIB, left))):
                left -= len(block)
                for index, offset in enumerate(range(0, len(block), AGE_CHUNK)):
                    plain = aead.decrypt(nonce, sealed[index], None)[: len(block) - offset]
                    manifest.update(plain)
                    output.update(aead.encrypt(nonce, plain, None))

    workers = [threading.Thread(target=work, args=(n * share,)) for n in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - start
    return Bound(f"export crypto: 4 passes, {threads} thread(s)", size, seconds)
