"""What one metadata extractor found, and the number readers every extractor shares."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
REFUSED = "refused"  # the file was not processed, for a stated reason (e.g. a bomb)
FAILED = "failed"  # the tool could not read it (corrupt, truncated, unsupported codec)
UNSUPPORTED = "unsupported"  # no extractor for this type (documents, HEIC without a decoder)

# Decompression-bomb guard. A photo larger than this many pixels is refused, not decoded: a
# few hundred bytes of PNG can declare 50,000 x 50,000 pixels, which would take 7.5 GB to
# decode. 100 megapixels covers every phone and most professional cameras (a 100 MP RGB
# image is 300 MB decoded); Pillow itself raises DecompressionBombError above twice this.
# Pillow itself is loaded on first use, with this limit set (app/vault/media/pillow.py).
MAX_IMAGE_PIXELS = 100_000_000


class MediaRefused(ValueError):
    """The file must not be processed (decompression bomb); the message says why."""


@dataclass
class Extraction:
    """What one extractor found. `fields` holds only values read from the file."""

    status: str
    extractor: str
    fields: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "extractor": self.extractor}
        if self.reason:
            out["reason"] = self.reason
        out["fields"] = self.fields
        return out

    def to_json(self) -> str:
        # allow_nan=False: a NaN from a broken rational must never reach storage as JSON.
        return json.dumps(self.as_dict(), sort_keys=True, allow_nan=False, ensure_ascii=False)


def as_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
