"""PDQ hashes of one picture (Meta's algorithm through the `pdqhash` package), with its eight
rotations and mirrors, and the Hamming distance between two hashes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy
    from PIL import Image

# numpy and pdqhash (about 12 MB) are imported where a picture is hashed, in the processing
# job: a web worker never needs them (tests/test_web_worker.py, the intake RSS budget).

ALGORITHM = "pdq"
# PDQ works on a 64 x 64 luminance image; a picture at most this size on its longest side
# hashes to the same bits as the full photo within noise, at a fraction of the time.
HASH_INPUT_MAX_PX = 512
HEX_DIGITS = 64  # 256 bits


@functools.cache
def implementation() -> str:
    """Stored with every hash: hashes of different implementations are never compared.

    Read from the installed package's metadata (the same version as `pdqhash.__version__`,
    tests/duplicates/test_pdq.py), not by importing pdqhash: an evidence page asks for it,
    and importing pdqhash loads numpy (about 12 MB) into the web worker."""
    from importlib.metadata import version

    return f"pdqhash {version('pdqhash')}"


@dataclass(frozen=True)
class PictureHash:
    quality: int  # 0-100; below 50 the picture is too featureless to compare
    dihedral: tuple[str, ...]  # 8 hashes as hex; the first is the picture as it is

    @property
    def hash_hex(self) -> str:
        return self.dihedral[0]


def hash_picture(image: Image.Image) -> PictureHash:
    """The picture upright (EXIF orientation applied), shrunk, in RGB, hashed 8 ways."""
    import numpy
    import pdqhash

    from app.vault.media.pillow import Image, ImageOps

    picture = ImageOps.exif_transpose(image)
    picture.thumbnail((HASH_INPUT_MAX_PX, HASH_INPUT_MAX_PX), Image.Resampling.BILINEAR)
    pixels = numpy.asarray(picture.convert("RGB"), dtype=numpy.uint8)
    hashes, quality = pdqhash.compute_dihedral(numpy.ascontiguousarray(pixels))
    return PictureHash(int(quality), tuple(_hex(bits) for bits in hashes))


def hash_rgb_frame(pixels: bytes, width: int, height: int) -> PictureHash:
    """A raw RGB24 video frame, as ffmpeg writes it."""
    import numpy
    import pdqhash

    array = numpy.frombuffer(pixels, dtype=numpy.uint8).reshape(height, width, 3)
    hashes, quality = pdqhash.compute_dihedral(numpy.ascontiguousarray(array))
    return PictureHash(int(quality), tuple(_hex(bits) for bits in hashes))


def _hex(bits: numpy.ndarray) -> str:
    value = 0
    for bit in bits.tolist():
        value = (value << 1) | (1 if bit else 0)
    return f"{value:0{HEX_DIGITS}x}"


def distance(a: str, b: str) -> int:
    """Hamming distance of two 256-bit hashes given as hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
