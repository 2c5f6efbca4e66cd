"""Intake's multipart decoder hands out the same fields, files and bytes as werkzeug's own,
whatever the body and however it is cut into reads: only its copies differ."""

from __future__ import annotations

import random

import pytest
from werkzeug.sansio.multipart import Data, MultipartDecoder, NeedData

from app.vault.upload.multipart import MAX_PARTS, MalformedUpload, iter_multipart_events

BOUNDARY = b"----custos-decoder-test"


def add(out: list, event) -> None:
    """One event as (type, name, filename), a part's Data merged as ("data", bytes, more)."""
    if isinstance(event, Data) and out and out[-1][0] == "data" and out[-1][2]:
        out[-1] = ("data", out[-1][1] + event.data, event.more_data)
    elif isinstance(event, Data):
        out.append(("data", event.data, event.more_data))
    else:
        name, filename = getattr(event, "name", None), getattr(event, "filename", None)
        out.append((type(event).__name__, name, filename))


def events_of(decoder: MultipartDecoder, pieces: list[bytes]) -> list:
    """Every event, Data merged per part, as (type, name, filename, bytes, more)."""
    out: list = []
    feed = iter(pieces + [None])
    while True:
        try:
            event = decoder.next_event()
        except ValueError as exc:
            return out + [("error", str(exc))]
        if isinstance(event, NeedData):
            decoder.receive_data(next(feed))
            continue
        add(out, event)
        if out[-1][0] == "Epilogue":
            return out


def body(rng: random.Random) -> bytes:
    """Parts whose contents are full of CR, LF, dashes and pieces of the boundary."""
    alphabet = [b"\r", b"\n", b"\r\n", b"-", b"--", BOUNDARY[:7], b"--" + BOUNDARY[:-1], b"x"]
    parts = []
    for number in range(rng.randint(0, 4)):
        content = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        content += rng.randbytes(rng.randint(0, 3000))
        name = f'name="f{number}"' + (f'; filename="f{number}.bin"' if number % 2 else "")
        parts.append(
            b"--"
            + BOUNDARY
            + b"\r\nContent-Disposition: form-data; "
            + name.encode()
            + b"\r\n\r\n"
            + content
            + b"\r\n"
        )
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


def cut(data: bytes, rng: random.Random) -> list[bytes]:
    pieces, position = [], 0
    while position < len(data):
        size = rng.choice([1, 2, 3, 7, 64, 500, 4096])
        pieces.append(data[position : position + size])
        position += size
    return pieces


@pytest.mark.parametrize("seed", range(300))
def test_same_events_as_werkzeugs_decoder(seed):
    rng = random.Random(seed)
    data = body(rng)
    if seed % 5 == 0:  # cut off, or one byte damaged: both must fail, or agree, alike
        data = data[: rng.randint(0, len(data))]
    elif seed % 5 == 1:
        position = rng.randrange(len(data))
        data = data[:position] + bytes([data[position] ^ 0x20]) + data[position + 1 :]
    pieces = cut(data, rng)
    reference = events_of(MultipartDecoder(BOUNDARY, max_parts=MAX_PARTS), pieces)

    ours: list = []
    feed = iter(pieces)
    try:
        for event in iter_multipart_events(lambda size: next(feed, b""), BOUNDARY):
            add(ours, event)
    except MalformedUpload as exc:
        ours.append(("error", str(exc)))
    assert ours == reference
