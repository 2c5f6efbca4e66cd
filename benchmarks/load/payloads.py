"""What field users upload: real JPEGs and MP4s (made once) and PDFs, padded to the size drawn.

Each upload is unique (random padding), so its SHA-256 identifies it in the database:
- photo: a JPEG of noise (Pillow), with random bytes after its end-of-image marker;
- video: an H.264 MP4 (ffmpeg, moov at the end as phones write it), with a trailing `free`
  box of random bytes (ISO/IEC 14496-12 §8.1.2: readers skip it);
- document: `%PDF-1.7` and random bytes (needs no media processing).
Photos and videos go through the RQ worker (metadata, thumbnail or poster frame).

This module imports nothing heavy: the locustfile imports it after gevent's monkey-patching.
"""

from __future__ import annotations

import random
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

MB = 1000 * 1000
KINDS = {"photo": ("photo.jpg", "image/jpeg"), "video": ("video.mp4", "video/mp4")}
DOCUMENT_TYPE = "application/pdf"


@dataclass(frozen=True)
class Payload:
    kind: str
    filename: str
    media_type: str
    data: bytes


def make_bases(folder: Path) -> None:
    """The base photo and video, each well under 1 MB, written once before the run."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    noise = Image.frombytes("RGB", (640, 480), random.Random(8).randbytes(640 * 480 * 3))
    noise.save(folder / "photo.jpg", "JPEG", quality=85)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi"]
        + ["-i", "testsrc=size=320x240:rate=25:duration=3"]
        + ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac"]
        + [str(folder / "video.mp4")],
        check=True,
        timeout=120,
    )


class PayloadMaker:
    def __init__(self, folder: Path, rng: random.Random) -> None:
        self.rng = rng
        self.bases = {kind: (folder / name).read_bytes() for kind, (name, _) in KINDS.items()}

    def make(self, kind: str, size: int) -> Payload:
        number = self.rng.getrandbits(48)
        if kind == "document":
            data = b"%PDF-1.7\n" + self.rng.randbytes(size - 9)
            return Payload(kind, f"report-{number:x}.pdf", DOCUMENT_TYPE, data)
        base = self.bases[kind]
        pad = max(size - len(base), 16)
        if kind == "video":
            tail = struct.pack(">I4s", pad, b"free") + self.rng.randbytes(pad - 8)
        else:
            tail = self.rng.randbytes(pad)
        name, media_type = KINDS[kind]
        stem, suffix = name.split(".")
        return Payload(kind, f"{stem}-{number:x}.{suffix}", media_type, base + tail)
