"""Redacted videos, recordings and PDFs, checked as the recipient of a redacted-only bag sees them:
black pixels in the box for its span and the picture unchanged elsewhere, digital silence in a
muted span, no metadata of the original (ffprobe), no text beneath a PDF's blacked-out area."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.casefiles.services import casefiles
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.media_redaction import create_redacted_media_copy
from app.casefiles.services.pdf_redaction import create_redacted_pdf_copy
from app.custody.models import LedgerEntry
from app.extensions import db
from app.vault.models import Derivative
from app.vault.upload.stream import begin_intake
from tests.casefiles.test_export_bag import cli_export
from tests.helpers.media import make_mp4, require_tool

WIDTH, HEIGHT = 320, 240
BOX = {"x": 0.25, "y": 0.25, "w": 0.25, "h": 0.25}  # pixels 80..160 x 60..120


def add_evidence(world, name: str, data: bytes):
    writer = begin_intake(world.investigation, world.field, name, None, len(data))
    writer.write(data)
    item = writer.finish()
    casefiles.add_item(world.casefile, world.investigation, world.author, "evidence", item.id)
    db.session.commit()
    return item


def export_redacted(app, world, tmp_path: Path) -> Path:
    bag = tmp_path / "bag"
    cli_export(app, world.casefile.reference, bag, "--files", "redacted")
    return bag


def the_copy(bag: Path, suffix: str) -> Path:
    (path,) = bag.glob(f"data/items/*-evidence-*/redacted/redacted-1{suffix}")
    return path


def frame(path: Path, seconds: float) -> bytes:
    """The RGB pixels of the frame shown at `seconds`."""
    run = subprocess.run(
        [require_tool("ffmpeg"), "-v", "error", "-i", str(path), "-ss", str(seconds)]
        + ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert len(run.stdout) == WIDTH * HEIGHT * 3
    return run.stdout


def mean_in(pixels: bytes, left: int, top: int, right: int, bottom: int) -> float:
    values = [
        pixels[(y * WIDTH + x) * 3 + c]
        for y in range(top, bottom)
        for x in range(left, right)
        for c in range(3)
    ]
    return sum(values) / len(values)


def mean_difference(a: bytes, b: bytes, rows: range) -> float:
    start, end = rows.start * WIDTH * 3, rows.stop * WIDTH * 3
    return sum(abs(x - y) for x, y in zip(a[start:end], b[start:end], strict=True)) / (end - start)


def samples(path: Path, start: float, end: float) -> list[int]:
    """Mono 16-bit samples at 48 kHz between start and end seconds."""
    run = subprocess.run(
        [require_tool("ffmpeg"), "-v", "error", "-i", str(path), "-ss", str(start)]
        + ["-t", str(end - start), "-ac", "1", "-ar", "48000", "-f", "s16le", "pipe:1"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    data = run.stdout
    return [int.from_bytes(data[i : i + 2], "little", signed=True) for i in range(0, len(data), 2)]


def probe(path: Path) -> dict:
    run = subprocess.run(
        [require_tool("ffprobe"), "-v", "error", "-show_format", "-show_streams"]
        + ["-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(run.stdout)


def all_tags(probed: dict) -> dict[str, str]:
    tags = dict(probed["format"].get("tags", {}))
    for stream in probed["streams"]:
        tags.update(stream.get("tags", {}))
    return {k.lower(): v for k, v in tags.items()}


def stored_state(app) -> tuple[int, int]:
    blobs = Path(app.config["BLOB_DIR"])
    count = db.session.scalar(select(func.count()).select_from(Derivative))
    return count, sum(1 for p in blobs.rglob("*") if p.is_file())


def test_a_redacted_video_is_black_in_the_box_for_its_span_and_unchanged_elsewhere(
    app, built_case, tmp_path
):
    world = built_case
    original = make_mp4(tmp_path, seconds=3.0, size=f"{WIDTH}x{HEIGHT}")
    video = add_evidence(world, "VID_20240501_witness.mp4", original)
    copy = create_redacted_media_copy(
        world.casefile,
        world.author,
        video,
        {"regions": [{**BOX, "start": 1.0, "end": 2.0}], "mute": [[1.0, 2.0]]},
    )
    db.session.commit()
    source = tmp_path / "original.mp4"
    source.write_bytes(original)

    redacted = the_copy(export_redacted(app, world, tmp_path), ".mp4")
    inside = frame(redacted, 1.5)
    assert mean_in(inside, 80, 60, 160, 120) < 20  # black in the box during the span
    assert mean_in(frame(source, 1.5), 80, 60, 160, 120) > 60  # where the original is not
    # Outside the box, and in the box outside the span, the picture is the original's (up to
    # the re-encoding's small error).
    assert mean_difference(inside, frame(source, 1.5), range(130, 240)) < 6
    before = frame(redacted, 0.5)
    assert mean_in(before, 80, 60, 160, 120) > 60
    assert mean_difference(before, frame(source, 0.5), range(0, 240)) < 6
    # The muted span is silent; the sound around it is still there.
    assert max(abs(s) for s in samples(redacted, 1.1, 1.9)) < 64
    assert max(abs(s) for s in samples(redacted, 0.2, 0.8)) > 3000
    # No metadata of the original: no creation time or place, no stream but picture and sound.
    tags = all_tags(probe(redacted))
    assert all(name not in tags for name in ("creation_time", "location", "location-eng"))
    assert not any("+36.20" in value or "2024" in value for value in tags.values())
    assert sorted(s["codec_type"] for s in probe(redacted)["streams"]) == ["audio", "video"]
    assert "creation_time" in all_tags(probe(source))  # the check above can fail
    # The recipient's file is the one the ledger names, with what was removed.
    assert hashlib.sha256(redacted.read_bytes()).hexdigest() == copy.sha256
    entry = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.action == "derivative_created", LedgerEntry.object_id == video.id)
        .order_by(LedgerEntry.seq.desc())
    ).first()
    details = json.loads(entry.body)["details"]
    assert details["child_sha256"] == copy.sha256 and details["parent_sha256"] == video.sha256
    assert details["removed"]["muted_spans"] == [[1.0, 2.0]]
    assert details["removed"]["regions"][0]["span"] == [1.0, 2.0]
    # The original is untouched.
    assert video.sha256 == hashlib.sha256(original).hexdigest()


def test_a_blurred_box_keeps_nothing_finer_than_the_box(app, built_case, tmp_path):
    world = built_case
    video = add_evidence(world, "clip.mp4", make_mp4(tmp_path, size=f"{WIDTH}x{HEIGHT}"))
    create_redacted_media_copy(
        world.casefile, world.author, video, {"regions": [{**BOX, "style": "blur"}]}
    )
    db.session.commit()
    pixels = frame(the_copy(export_redacted(app, world, tmp_path), ".mp4"), 1.0)
    box = [pixels[(y * WIDTH + x) * 3] for y in range(64, 116) for x in range(84, 156)]
    # The test picture's sharp colour bars and text are gone: the box is one smooth patch.
    assert max(box) - min(box) < 40


def tone(tmp_path: Path) -> bytes:
    """A 3 s M4A recording carrying the tags a phone writes (place, time, device)."""
    out = tmp_path / "tone.m4a"
    subprocess.run(
        [require_tool("ffmpeg"), "-v", "error", "-y", "-f", "lavfi"]
        + ["-i", "sine=frequency=300:duration=3", "-c:a", "aac"]
        + ["-metadata", "location=+36.2021+037.1343/", "-metadata", "make=WITNESS-PHONE-MARKER"]
        + ["-metadata", "creation_time=2024-05-01T10:15:30Z", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.read_bytes()


def test_a_muted_span_of_a_recording_is_digital_silence_and_its_tags_are_gone(
    app, built_case, tmp_path
):
    world = built_case
    recording = add_evidence(world, "interview.m4a", tone(tmp_path))
    create_redacted_media_copy(world.casefile, world.author, recording, {"mute": [[1.0, 2.0]]})
    db.session.commit()
    redacted = the_copy(export_redacted(app, world, tmp_path), ".flac")
    assert set(samples(redacted, 1.02, 1.98)) == {0}
    assert max(abs(s) for s in samples(redacted, 0.2, 0.9)) > 3000
    assert max(abs(s) for s in samples(redacted, 2.1, 2.8)) > 3000
    data = redacted.read_bytes()
    assert b"WITNESS-PHONE-MARKER" not in data and b"+36.2021" not in data
    assert not {"make", "location", "creation_time"} & set(all_tags(probe(redacted)))


def test_a_bleeped_span_holds_the_tone_and_not_the_voice(app, built_case, tmp_path):
    world = built_case
    recording = add_evidence(world, "interview.m4a", tone(tmp_path))
    create_redacted_media_copy(
        world.casefile, world.author, recording, {"mute": [[1.0, 2.0]], "sound": "bleep"}
    )
    db.session.commit()
    redacted = the_copy(export_redacted(app, world, tmp_path), ".flac")
    bleep = samples(redacted, 1.1, 1.9)
    # 1 kHz: about 2,000 sign changes a second; the 300 Hz voice would give about 600.
    crossings = sum(1 for a, b in zip(bleep, bleep[1:], strict=False) if (a < 0) != (b < 0))
    assert 1400 < crossings < 1800 and max(abs(s) for s in bleep) > 3000


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"mute": [[2.5, 4.0]]}, "ends after the file does"),
        ({"regions": [{**BOX, "start": 1, "end": 9}]}, "ends after the file does"),
        ({}, "nothing would be removed"),
        ({"regions": [{"x": 0.5, "y": 0.5, "w": 0, "h": 0.2}]}, "rectangle"),
        ({"mute": [[2.0, 1.0]]}, "ends after it starts"),
        ({"regions": [{**BOX, "style": "pixel"}]}, "black or blurred"),
    ],
)
def test_bad_video_redactions_say_why_and_store_nothing(app, built_case, tmp_path, raw, message):
    world = built_case
    video = add_evidence(world, "clip.mp4", make_mp4(tmp_path, seconds=3.0))
    before = stored_state(app)
    with pytest.raises(CaseFileError, match=message):
        create_redacted_media_copy(world.casefile, world.author, video, raw)
    db.session.rollback()
    assert stored_state(app) == before


def test_boxes_on_a_recording_are_refused(app, built_case, tmp_path):
    world = built_case
    recording = add_evidence(world, "interview.m4a", tone(tmp_path))
    with pytest.raises(CaseFileError, match="no picture"):
        create_redacted_media_copy(world.casefile, world.author, recording, {"regions": [BOX]})


def document(secret: str) -> bytes:
    import weasyprint

    html = (
        "<html><head><title>Statement of WITNESS-TITLE-MARKER</title>"
        "<meta name=author content='WITNESS-AUTHOR-MARKER'></head><body>"
        f"<p style='margin:0;font-size:30pt'>Name: {secret}</p>"
        "<p style='margin-top:400pt'>The strike hit the hospital at dawn.</p>"
        "<p style='break-before:page'>Second page, kept as text.</p></body></html>"
    )
    return weasyprint.HTML(string=html).write_pdf()


def test_a_redacted_pdf_has_no_text_beneath_its_black_area(app, built_case, tmp_path):
    world = built_case
    original = document("Samira Haddad")
    assert "Samira Haddad" in PdfReader(io.BytesIO(original)).pages[0].extract_text()
    pdf = add_evidence(world, "statement.pdf", original)
    create_redacted_pdf_copy(
        world.casefile, world.author, pdf, [{"page": 1, "x": 0, "y": 0, "w": 1, "h": 0.12}]
    )
    db.session.commit()
    redacted = the_copy(export_redacted(app, world, tmp_path), ".pdf")
    data = redacted.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Samira" not in text and "Haddad" not in text
    assert "Second page, kept as text." in text  # pages without areas keep their text
    for marker in (b"Samira", b"Haddad", b"WITNESS-TITLE-MARKER", b"WITNESS-AUTHOR-MARKER"):
        assert marker not in data
    assert "WITNESS" not in json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()})
    # What the recipient sees: black where the name was, the page's other text still visible.
    import pypdfium2 as pdfium

    picture = pdfium.PdfDocument(data)[0].render(scale=1).to_pil().convert("L")
    width, height = picture.size
    assert picture.crop((5, 5, width - 5, int(height * 0.11))).getextrema()[1] < 40
    assert picture.crop((0, int(height * 0.2), width, height)).getextrema()[0] < 100


@pytest.mark.parametrize(
    ("data", "areas", "message"),
    [
        (None, [{"page": 3, **BOX}], "Page 3 does not exist"),
        (None, [], "at least one area"),
        (b"%PDF-1.7\n" + b"not a pdf at all" * 100, [{"page": 1, **BOX}], "cannot be opened"),
    ],
)
def test_bad_pdf_redactions_say_why_and_store_nothing(
    app, built_case, tmp_path, data, areas, message
):
    world = built_case
    pdf = add_evidence(world, "statement.pdf", data or document("Samira Haddad"))
    before = stored_state(app)
    with pytest.raises(CaseFileError, match=message):
        create_redacted_pdf_copy(world.casefile, world.author, pdf, areas)
    db.session.rollback()
    assert stored_state(app) == before


def test_redacting_a_video_streams_it_instead_of_holding_it(app, built_case, tmp_path):
    world = built_case
    original = make_mp4(tmp_path, seconds=4.0, size="640x480", noisy=True)
    assert len(original) > 16 * 1024 * 1024
    video = add_evidence(world, "clip.mp4", original)
    tracemalloc.start()
    try:
        copy = create_redacted_media_copy(
            world.casefile, world.author, video, {"regions": [BOX], "mute": [[1.0, 2.0]]}
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    db.session.commit()
    # Neither the original nor the copy is ever held whole: a few pipe blocks at a time.
    assert copy.size > 4 * 1024 * 1024
    assert peak < min(len(original), copy.size) // 2


def test_a_copy_whose_tool_fails_midway_stores_nothing(app, built_case, tmp_path):
    from app.vault.media.derivatives import store_derivative_chunks
    from app.vault.media.tools import MediaToolError, stream_through
    from app.vault.models import DerivativeKind

    world = built_case
    video = add_evidence(world, "clip.mp4", make_mp4(tmp_path))
    before = stored_state(app)
    # Two megabytes of output, then a failure: what was written so far must not be kept.
    failing = ["/bin/sh", "-c", "head -c 2000000 /dev/zero; echo 'decoder broke' >&2; exit 3"]
    with pytest.raises(MediaToolError, match="decoder broke"):
        store_derivative_chunks(
            video,
            DerivativeKind.REDACTED,
            "video/mp4",
            stream_through(failing, [b"input"], 30),
            world.author,
        )
    db.session.rollback()
    assert stored_state(app) == before
