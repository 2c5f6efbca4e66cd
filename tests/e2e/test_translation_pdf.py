"""The side-by-side translation PDF draws Arabic shaped and right to left, as a browser does.

The PDF page is rendered to an image (pdfium) and its Arabic line compared with the same
string drawn by Chromium in the same font: shaped right to left (the reference), and two
wrong renderings, each letter set alone (no joining) and the letters forced left to right
(wrong order). The PDF must look like the reference and unlike either wrong one, so a report
that lost its shaping or its direction fails here; the wrong renderings themselves fail the
same check.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageOps

from app.casefiles.services.bag_translations import direction, side_by_side, translation_pdf

ARABIC = "رأيت الضربة الثانية"
ENGLISH = "I saw the second strike"
SCALE = 4  # pdfium draws 1 pt as 1 px at scale 1; the report's text is 10 pt
FONT = "Noto Naskh Arabic"  # the report's first choice for right-to-left text (report.css)
# Wrong renderings, in the same font: each letter set alone (no joining, isolated forms), and
# the letters forced left to right (bidi override: the wrong order).
UNJOINED = "".join(
    f'<span style="display:inline-block">{letter}</span>' if letter != " " else " "
    for letter in ARABIC
)
LEFT_TO_RIGHT = "direction:ltr;unicode-bidi:bidi-override"
SIZE = (320, 48)

pytestmark = pytest.mark.e2e


def shown() -> dict:
    return {
        "heading": "Translation 1: testimony, ar → en",
        "method": "human",
        "translator": "translator@example.org",
        "reviser": "reviser@example.org",
        "source_hash": "a" * 64,
        "content_hash": "b" * 64,
        "superseded": False,
        "earlier_version": False,
        "source_language": "ar",
        "target_language": "en",
        "source_dir": direction("ar"),
        "target_dir": direction("en"),
        "machine": False,
        "rows": side_by_side(ARABIC, ENGLISH),
    }


def arabic_line_of_the_pdf(pdf: bytes) -> Image.Image:
    """The rendered page cut to the box pdfium gives the Arabic characters."""
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    text = page.get_textpage()
    boxes = [
        text.get_charbox(i)
        for i in range(text.count_chars())
        if "\u0600" <= text.get_text_range(i, 1)[:1] <= "\u06ff"
    ]
    assert boxes, "no Arabic text in the PDF"
    left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
    height = page.get_height()
    image = page.render(scale=SCALE).to_pil()
    margin = SCALE
    return image.crop(
        (
            int(left * SCALE) - margin,
            int((height - top) * SCALE) - margin,
            int(right * SCALE) + margin,
            int((height - bottom) * SCALE) + margin,
        )
    )


def drawn_by_chromium(browser, text: str, style: str = "", font: str = FONT) -> Image.Image:
    page = browser.new_page(device_scale_factor=1)
    try:
        page.set_content(
            '<html><body style="margin:20px;background:#fff">'
            f'<span id="line" dir="rtl" lang="ar" style="font-family:\'{font}\';'
            f'font-size:{10 * SCALE}px;color:#111;{style}">{text}</span></body></html>'
        )
        page.evaluate("document.fonts.ready")
        return Image.open(io.BytesIO(page.locator("#line").screenshot()))
    finally:
        page.close()


def ink(image: Image.Image) -> Image.Image:
    """The image cut to its ink and scaled to one size, grey levels kept."""
    grey = ImageOps.grayscale(image.convert("RGB"))
    # Dark ink only: the table's light grey borders around the PDF's cell stay out of the box.
    box = ImageOps.invert(grey).point(lambda v: 255 if v > 128 else 0).getbbox()
    assert box, "nothing drawn"
    return grey.crop(box).resize(SIZE, Image.Resampling.LANCZOS)


def difference(a: Image.Image, b: Image.Image) -> float:
    delta = ImageChops.difference(ink(a), ink(b))
    return sum(delta.get_flattened_data()) / (SIZE[0] * SIZE[1] * 255)


@pytest.fixture
def pdf_line(app):
    with app.test_request_context():
        return arabic_line_of_the_pdf(translation_pdf("Testimony of W-0001", shown()))


def check_shaped_right_to_left(browser, line: Image.Image) -> None:
    shaped = drawn_by_chromium(browser, ARABIC)
    unjoined = drawn_by_chromium(browser, UNJOINED)
    mirrored = drawn_by_chromium(browser, ARABIC, LEFT_TO_RIGHT)
    to_reference = difference(line, shaped)
    assert to_reference < difference(line, unjoined), "the Arabic is not shaped"
    assert to_reference < difference(line, mirrored), "the Arabic runs left to right"
    assert to_reference < 0.08, to_reference  # alike, not merely less unlike


def test_arabic_in_the_translation_pdf_is_shaped_and_right_to_left(browser, pdf_line):
    check_shaped_right_to_left(browser, pdf_line)


@pytest.mark.parametrize("wrong", ["unjoined", "left to right"])
def test_the_check_tells_a_wrong_rendering_apart(browser, wrong):
    """The check above can fail: a line drawn unjoined or in the wrong order does not pass."""
    if wrong == "unjoined":
        line = drawn_by_chromium(browser, UNJOINED)
    else:
        line = drawn_by_chromium(browser, ARABIC, LEFT_TO_RIGHT)
    with pytest.raises(AssertionError):
        check_shaped_right_to_left(browser, line)


def test_the_original_column_comes_first_and_arabic_is_set_right_to_left():
    rows = side_by_side("أ\n\nب", "A\n\nB\n\nC")
    assert rows == [("أ", "A"), ("ب", "B"), ("", "C")]
    assert (direction("ar"), direction("fa"), direction("en")) == ("rtl", "rtl", "ltr")
