"""A PDF redaction's memory does not grow with the document's page count, and what it writes
is still right: the names under the areas are gone from the text and from the raw bytes."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.vault.vault_support import pdf_from_objects

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.nodb


def scanned_pdf(pages: int) -> bytes:
    """A letter-size PDF of `pages` pages, each like a scan: a noisy picture (one image shared
    by every page) over the lower half, a witness's name at the top, a line of text below."""
    noise = random.Random(7).randbytes(300 * 200)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width 300 /Height 200 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(noise) + noise + b"\nendstream",
    ]
    kids = []
    for number in range(1, pages + 1):
        text = (
            b"q 612 0 0 396 0 0 cm /Im1 Do Q\n"
            b"BT /F1 28 Tf 72 720 Td (Witness NAME%03dX Haddad) Tj ET\n"
            b"BT /F1 12 Tf 72 300 Td (Page %d: the strike hit at dawn.) Tj ET\n" % (number, number)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
            b"<< /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> /Contents %d 0 R >>" % content
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return pdf_from_objects(objects, b"1.7")


# Redacts the top of every odd page (where the name is) of the PDF at argv[1] into argv[2];
# prints the process's peak RSS in KiB.
CHILD = """
import resource, sys
from app.casefiles.services.pdf_redaction import PageArea, redact_pdf
from app.casefiles.services.redaction import parse_rectangle
pages = int(sys.argv[3])
box = parse_rectangle({"x": 0, "y": 0, "w": 1, "h": 0.15}, "areas")
areas = [PageArea(page, box) for page in range(1, pages + 1, 2)]
with open(sys.argv[1], "rb") as source, open(sys.argv[2], "wb") as out:
    redact_pdf(source, areas, out)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def redact_in_child(tmp_path: Path, pages: int) -> tuple[int, bytes]:
    source, out = tmp_path / f"in-{pages}.pdf", tmp_path / f"out-{pages}.pdf"
    source.write_bytes(scanned_pdf(pages))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(out), str(pages)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1]), out.read_bytes()


def test_a_pdf_redaction_s_memory_does_not_grow_with_its_pages(tmp_path):
    few_peak, few = redact_in_child(tmp_path, 5)
    many_peak, many = redact_in_child(tmp_path, 50)
    # 45 pages more, 23 of them rasterised: with each picture held in PDFium until the copy
    # was written, and the copy then held twice as bytes, the peak grew by 22 MB; streamed,
    # it grows by under 2 MB (a page's bitmap comes and goes).
    assert many_peak - few_peak < 6 * 1024, (few_peak, many_peak)
    for data, pages in ((few, 5), (many, 50)):
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == pages
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text()
            marker = f"NAME{number:03d}X"
            if number % 2:  # rasterised: nothing of its text is left, in text or bytes
                assert marker not in text and "strike" not in text
                assert marker.encode() not in data
            else:
                assert marker in text and f"Page {number}:" in text
