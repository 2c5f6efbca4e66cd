"""PDQ of a 12-megapixel photo, as the processing job hashes it, against decoding the same
photo with Pillow in the same run; and matching one photo against stored hashes in Python."""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402

from app.duplicates.matching import Frame, match_photos  # noqa: E402
from app.duplicates.pdq import hash_picture, implementation  # noqa: E402
from benchmarks.budgets import record  # noqa: E402

SIZE = (4000, 3000)  # 12 MP
REPEATS = 5
STORED = 100_000
# Hashing (draft decode at a reduced scale, then PDQ on <= 512 px) must cost no more than a
# full decode of the photo by Pillow: the processing job already pays that for thumbnails.
BUDGET_RATIO = 1.0


def photo() -> bytes:
    rng = random.Random(5)
    image = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        box = (x, y, x + rng.randrange(100, 900), y + rng.randrange(100, 700))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    # Sensor-like noise, so the file is the size of a real 12 MP photo (several MB).
    noise = Image.effect_noise(SIZE, 40).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    data = photo()

    def decode() -> None:
        with Image.open(io.BytesIO(data)) as image:
            image.load()

    def pdq() -> None:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (1024, 1024))
            hash_picture(image)

    baseline = best(decode)
    hashing = best(pdq)
    with Image.open(io.BytesIO(data)) as image:
        query = hash_picture(image)
    rng = random.Random(9)
    stored = [Frame(f"{rng.getrandbits(256):064x}", (), 100) for _ in range(STORED)]
    mine = Frame(query.hash_hex, query.dihedral, query.quality)
    matching = best(lambda: [match_photos(mine, other) for other in stored])
    megabytes = len(data) / 1e6
    print(f"{implementation()}, {SIZE[0]}x{SIZE[1]} JPEG ({megabytes:.1f} MB), best of {REPEATS}")
    rows = [
        ("Pillow full decode (baseline)", baseline, 1.0),
        ("PDQ as processing hashes it (8 variants)", hashing, hashing / baseline),
        (f"match one photo against {STORED:,} hashes (Python)", matching, None),
    ]
    print(f"{'step':<46} {'ms':>9} {'ratio':>7}")
    for name, seconds, ratio in rows:
        shown = f"{ratio:>7.2f}" if ratio is not None else ""
        print(f"{name:<46} {seconds * 1000:>9.1f} {shown}")
    within = record(
        "pdq",
        f"PDQ of a 12 MP photo <= {BUDGET_RATIO:.2f} x Pillow full decode",
        f"{hashing * 1000:.0f} ms vs {baseline * 1000:.0f} ms ({hashing / baseline:.2f}x)",
        hashing / baseline <= BUDGET_RATIO,
    )
    print(f"budget: PDQ <= {BUDGET_RATIO:.2f} x full decode -> {'within' if within else 'OVER'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
