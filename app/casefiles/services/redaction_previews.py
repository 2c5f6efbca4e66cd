"""What a video or PDF redaction will remove, shown before saving: a picture made in memory.

For a video, the upright frame at a chosen second with the boxes drawn as the copy will have
them (black, or blurred); for a PDF, the page rendered with its areas blacked out. The picture
is built from pipes and buffers and returned as bytes: no plaintext file is written. Showing
evidence is a read of its content, so it is recorded in the custody ledger (viewed).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.redaction import Rectangle
from app.custody.ledger import append_custody_event

if TYPE_CHECKING:
    from PIL import Image

PREVIEW_MAX_PX = 1280
PREVIEW_DPI = 72
STILL_TIMEOUT_SECONDS = 120
MAX_STILL_BYTES = 32 * 1024 * 1024
OUTLINE = (255, 64, 64)
MAX_PREVIEW_BOXES = 500


def video_still(item: Any, seconds: float, boxes: list[tuple[Rectangle, str]]) -> bytes:
    """The frame shown at `seconds`, upright, with each (box, style) drawn as the copy will."""
    from app.vault.media.av_metadata import plaintext_for_tools
    from app.vault.media.pillow import Image
    from app.vault.media.tools import MediaToolError, input_args, run_on_stream, tool_path
    from app.vault.storage import open_plaintext

    argv = [tool_path("ffmpeg"), "-v", "error", *input_args(item.media_type, "ffmpeg")]
    argv += ["-ss", f"{max(0.0, seconds):.3f}", "-frames:v", "1", "-an", "-sn", "-dn"]
    argv += ["-map_metadata", "-1", "-c:v", "png", "-f", "image2pipe", "pipe:1"]
    reader = open_plaintext(item.blob_key)
    chunks = plaintext_for_tools(reader, item.media_type)
    try:
        run = run_on_stream(argv, chunks, STILL_TIMEOUT_SECONDS, MAX_STILL_BYTES)
    except MediaToolError:
        raise CaseFileError("No frame could be read at that time.", "preview_at") from None
    if run.returncode != 0 or not run.stdout:
        raise CaseFileError("No frame could be read at that time.", "preview_at")
    try:
        picture = Image.open(io.BytesIO(run.stdout)).convert("RGB")
    except OSError:
        raise CaseFileError("No frame could be read at that time.", "preview_at") from None
    return _drawn(picture, boxes)


def pdf_page(item: Any, page: int, boxes: list[Rectangle]) -> bytes:
    """Page `page` (1-based) rendered with its areas blacked out."""
    import pypdfium2 as pdfium

    from app.vault.storage import open_plaintext

    with open_plaintext(item.blob_key).as_file() as plaintext:
        try:
            document = pdfium.PdfDocument(plaintext)
        except pdfium.PdfiumError as exc:
            raise CaseFileError(f"The PDF cannot be opened: {exc}.") from None
        try:
            if not 1 <= page <= len(document):
                raise CaseFileError(f"Page {page} does not exist.", "areas")
            rendered = document[page - 1].render(scale=PREVIEW_DPI / 72, may_draw_forms=True)
            picture = rendered.to_pil().convert("RGB")
        except pdfium.PdfiumError as exc:
            raise CaseFileError(f"The PDF cannot be rendered: {exc}.") from None
        finally:
            document.close()
    return _drawn(picture, [(box, "black") for box in boxes])


def _drawn(picture: Image.Image, boxes: list[tuple[Rectangle, str]]) -> bytes:
    from app.vault.media.pillow import ImageDraw, ImageFilter

    for box, style in boxes:
        left, top, right, bottom = box.to_pixels(*picture.size)
        if right <= left or bottom <= top:
            continue
        if style == "blur":
            radius = max(1, min(right - left, bottom - top) // 2)
            area = picture.crop((left, top, right, bottom)).filter(ImageFilter.BoxBlur(radius))
            picture.paste(area, (left, top))
        else:
            ImageDraw.Draw(picture).rectangle((left, top, right - 1, bottom - 1), fill=(0, 0, 0))
        ImageDraw.Draw(picture).rectangle((left, top, right - 1, bottom - 1), outline=OUTLINE)
    picture.thumbnail((PREVIEW_MAX_PX, PREVIEW_MAX_PX))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def box_arg(box: Rectangle, style: str = "black") -> str:
    """A box as the preview URL carries it: fractions of the picture, and its style."""
    return ",".join(f"{v:.5f}" for v in (box.x, box.y, box.w, box.h)) + f",{style}"


def parse_box_args(values: list[str]) -> list[tuple[Rectangle, str]]:
    """The preview URL's boxes back: "x,y,w,h,style" each, at most MAX_PREVIEW_BOXES."""
    from app.casefiles.services.media_redaction import STYLES
    from app.casefiles.services.redaction import parse_rectangle

    if len(values) > MAX_PREVIEW_BOXES:
        raise CaseFileError("Too many boxes to preview.", "regions")
    boxes = []
    for value in values:
        *numbers, style = value.split(",")
        if style not in STYLES:
            raise CaseFileError("A box is black or blurred.", "regions")
        boxes.append((parse_rectangle(numbers, "regions"), style))
    return boxes


def still_requests(redaction: Any) -> list[tuple[float, list[str]]]:
    """One still per distinct box start: (second, the boxes shown then), earliest first."""
    starts = sorted({region.span.start if region.span else 0.0 for region in redaction.regions})
    stills = []
    for second in starts:
        shown = [
            box_arg(region.box, region.style)
            for region in redaction.regions
            if region.span is None or region.span.start <= second < region.span.end
        ]
        stills.append((second, shown))
    return stills


def page_requests(areas: list[Any]) -> list[tuple[int, list[str]]]:
    """One picture per page with areas: (page, its areas), in page order."""
    pages: dict[int, list[str]] = {}
    for area in areas:
        pages.setdefault(area.page, []).append(box_arg(area.box))
    return sorted(pages.items())


def muted_listing(redaction: Any) -> list[dict[str, float]]:
    """The muted spans with their durations, in time order."""
    return [
        {"start": span.start, "end": span.end, "seconds": round(span.end - span.start, 3)}
        for span in sorted(redaction.muted, key=lambda span: span.start)
    ]


def record_preview(item: Any, user: Any, casefile: Any) -> None:
    append_custody_event(
        item.investigation_id,
        user,
        "viewed",
        "evidence",
        item.id,
        {"purpose": "redaction", "casefile_id": casefile.id},
    )
