"""Redacted copies of PDF documents: the pages with areas are rasterised, the text beneath gone.

A black box drawn over a PDF page hides nothing: the text stays in the content stream, and
copying it out or any text extraction reads it. So each page with an area is rendered to
pixels (PDFium, at RENDER_DPI), the areas are blacked out on those pixels, and the page is
replaced by that picture alone: no text, fonts, annotations or form fields of it remain. The
other pages are copied as they are. Nothing document-wide is carried over: no information
dictionary or XMP metadata (author, producer, dates), no outline (bookmark titles quote the
text), no attachments, no scripts.

PDFium (pypdfium2, Apache-2.0 / BSD-3-Clause bindings to Chromium's PDF engine, released about
monthly) was chosen over PyMuPDF (AGPL-3.0, which would bind the whole server to the AGPL)
and poppler (GPL, a command-line round trip through files): it renders and writes pages in
process, from a seekable reader, so the original is decrypted only as pages are read.

Memory does not grow with the page count: the original is read page by page and never
written; each rasterised page's JPEG waits sealed on disk until PDFium writes the copy
(pdf_spill.py); the pages kept as they are go over in one import (so the fonts and pictures
they share are copied once); and PDFium writes the copy straight into the vault's encrypting
writer. What PDFium holds of the kept pages' own content is the one part that grows with them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from app.casefiles.models import CaseFile
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.pdf_spill import SealedSpill
from app.casefiles.services.redaction import Rectangle, parse_rectangle
from app.vault.models import EvidenceItem

RENDER_DPI = 150
RASTER_JPEG_QUALITY = 90
MAX_AREAS = 500
# A page rendered at RENDER_DPI bigger than this (an A0 poster is ~ 35 MP) is refused rather
# than allowed to take the worker's memory.
MAX_PAGE_PIXELS = 60_000_000
PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True)
class PageArea:
    """An area of one page (1-based), as fractions of the page as it is displayed."""

    page: int
    box: Rectangle


def parse_pdf_areas(raw: Any) -> list[PageArea]:
    """[{"page": 1, "x":..,"y":..,"w":..,"h":..}, ...]."""
    if not isinstance(raw, list) or not raw:
        raise CaseFileError("Draw at least one area over what must be removed.", "areas")
    if len(raw) > MAX_AREAS:
        raise CaseFileError(f"At most {MAX_AREAS} areas.", "areas")
    areas = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise CaseFileError("An area is a page number and x, y, w, h.", "areas")
        try:
            page = int(entry.get("page"))
        except (TypeError, ValueError):
            raise CaseFileError("An area names its page by number.", "areas") from None
        if page < 1:
            raise CaseFileError("Pages are numbered from 1.", "areas")
        areas.append(PageArea(page, parse_rectangle(entry, "areas")))
    return areas


def redact_pdf(file: IO[bytes], areas: list[PageArea], out: IO[bytes]) -> dict[str, Any]:
    """Write the redacted PDF to `out` (anything with write()); returns what was removed (for
    the ledger). On an error something may have been written: the caller discards `out`."""
    import pypdfium2 as pdfium

    try:
        source = pdfium.PdfDocument(file)
    except pdfium.PdfiumError as exc:
        raise CaseFileError(f"The PDF cannot be opened: {exc}.") from None
    spill = SealedSpill()
    try:
        pages = len(source)
        beyond = sorted({a.page for a in areas if a.page > pages})
        if beyond:
            raise CaseFileError(
                f"Page {beyond[0]} does not exist: the document has {pages} pages.", "areas"
            )
        by_page: dict[int, list[Rectangle]] = {}
        for area in areas:
            by_page.setdefault(area.page - 1, []).append(area.box)
        copy = pdfium.PdfDocument.new()
        try:
            kept = [index for index in range(pages) if index not in by_page]
            if kept:
                copy.import_pages(source, kept)
            # In page order, each picture goes in at its own place among the kept pages.
            for index in sorted(by_page):
                _rasterised_page(pdfium, source, index, by_page[index], copy, spill)
            copy.save(out)
        finally:
            copy.close()
    except pdfium.PdfiumError as exc:
        raise CaseFileError(f"The PDF cannot be rendered: {exc}.") from None
    finally:
        spill.close()
        source.close()
    return {
        "pages_rasterised": sorted(i + 1 for i in by_page),
        "areas_blacked_out": len(areas),
        "text_layer_of_rasterised_pages": "removed",
        "metadata": "document information, XMP, outline and attachments",
    }


def _rasterised_page(
    pdfium: Any, source: Any, index: int, boxes: list[Rectangle], copy: Any, spill: SealedSpill
) -> None:
    """Insert into `copy`, at `index`, the picture of source page `index` with the boxes
    blacked out; the JPEG waits in `spill` until the copy is written."""
    from app.vault.media.pillow import ImageDraw

    page = source[index]
    try:
        # The size as displayed (PDFium swaps width and height for a page turned 90 degrees).
        width, height = page.get_size()
        scale = RENDER_DPI / 72
        if width * height * scale * scale > MAX_PAGE_PIXELS:
            raise CaseFileError(f"Page {index + 1} is too large to render.", "areas")
        # Annotations and form fields are drawn too: the picture shows what a reader saw.
        picture = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    finally:
        page.close()
    draw = ImageDraw.Draw(picture)
    for box in boxes:
        left, top, right, bottom = box.to_pixels(*picture.size)
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=(0, 0, 0))
    encoded = io.BytesIO()
    picture.save(encoded, "JPEG", quality=RASTER_JPEG_QUALITY)
    del picture
    sealed = spill.add(encoded.getvalue())
    del encoded
    # The page keeps its displayed size, now upright: the picture already shows it turned.
    new_page = copy.new_page(width, height, index)
    image = pdfium.PdfImage.new(copy)
    image.load_jpeg(sealed, inline=False)  # read from the spill when the copy is written
    image.set_matrix(pdfium.PdfMatrix().scale(width, height))
    new_page.insert_obj(image)
    new_page.gen_content()
    new_page.close()


def create_redacted_pdf_copy(casefile: CaseFile, user: Any, item: EvidenceItem, raw: Any) -> Any:
    """Store a redacted copy of a PDF, linked to its original in the ledger."""
    from app.vault.media.derivatives import record_derivative
    from app.vault.models import DerivativeKind
    from app.vault.storage import EncryptedBlobWriter, open_plaintext

    if item.media_type != PDF_MEDIA_TYPE:
        raise CaseFileError("Only PDF documents are redacted here.")
    areas = parse_pdf_areas(raw)
    out = EncryptedBlobWriter()
    try:
        with open_plaintext(item.blob_key).as_file() as plaintext:
            removed = redact_pdf(plaintext, areas, out)
        stored = out.commit()
    except BaseException:
        out.abort()
        raise
    return record_derivative(item, DerivativeKind.REDACTED, PDF_MEDIA_TYPE, stored, user, removed)
