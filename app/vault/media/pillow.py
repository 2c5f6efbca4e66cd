"""Pillow, imported on first use, with the decompression-bomb limit set before any image opens.

Every Custos module that needs Pillow imports it from here inside the function that uses it,
never at the top: a web worker that is sent no photo then never loads Pillow (about 4.7 MB of
RSS with its libraries; docs/performance.md, "A web worker's memory"), and whatever the import
order, no image is opened before Image.MAX_IMAGE_PIXELS is Custos's limit.
"""

import PIL
from PIL import (
    ExifTags,
    Image,
    ImageCms,
    ImageDraw,
    ImageFilter,
    ImageOps,
    UnidentifiedImageError,
)

from app.vault.media.extraction import MAX_IMAGE_PIXELS

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
VERSION = PIL.__version__

__all__ = [
    "ExifTags",
    "Image",
    "ImageCms",
    "ImageDraw",
    "ImageFilter",
    "ImageOps",
    "UnidentifiedImageError",
    "VERSION",
]
