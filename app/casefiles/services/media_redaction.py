"""Redacted copies of videos and recordings: boxes and muted spans burnt in by ffmpeg.

What a redacted copy promises (issue 16, item 3), and how it keeps it:
- a box is drawn on every decoded frame of its time span, on the upright picture, before the
  video is encoded again: the covered pixels are not in the copy at all. "black" fills the box;
  "blur" replaces it by a ten-pass box blur whose radius is half the box's shorter side, so
  nothing finer than the box itself survives (a face becomes a smudge of its average colour);
- a muted span is digital silence in the copy; "bleep" adds a 1 kHz tone over the silence;
- no metadata of the original rides along: container and stream tags (creation time, GPS
  position, device make and model), chapters, and every stream but the first picture and the
  first sound (subtitles, GPS or telemetry data tracks, cover art) are left out;
- the original is read, never written; bytes go original -> ffmpeg -> blob store through pipes,
  decrypted and encrypted chunk by chunk, so memory stays flat in the file's length and no
  plaintext touches the disk.
A video copy is an H.264/AAC MP4 (fragmented, so it can be written to a pipe); a recording's
copy is FLAC (lossless: what is not muted stays as it was decoded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.casefiles.models import CaseFile
from app.casefiles.services.errors import CaseFileError
from app.casefiles.services.redaction import Rectangle, parse_rectangle
from app.vault.models import EvidenceItem

STYLES = ("black", "blur")
SOUNDS = ("silence", "bleep")
MAX_REGIONS = 50
MAX_SPANS = 200
# A span may end this much past the stated duration: containers round it to a frame or packet.
DURATION_SLACK_SECONDS = 0.05
BLEEP_HERTZ = 1000
BLEEP_AMPLITUDE = 0.25
# Re-encoding is slower than real time on a loaded 2-core machine; a stuck ffmpeg is killed.
TIMEOUT_FLOOR_SECONDS = 300
TIMEOUT_PER_MEDIA_SECOND = 20
VIDEO_MEDIA_TYPE = "video/mp4"
AUDIO_MEDIA_TYPE = "audio/flac"


@dataclass(frozen=True)
class Span:
    """A time span in seconds from the start of the media."""

    start: float
    end: float

    def as_list(self) -> list[float]:
        return [round(self.start, 3), round(self.end, 3)]


@dataclass(frozen=True)
class Region:
    """A box over the upright picture, during `span` (None: the whole video)."""

    box: Rectangle
    span: Span | None
    style: str


@dataclass(frozen=True)
class MediaRedaction:
    regions: tuple[Region, ...]
    muted: tuple[Span, ...]
    sound: str = "silence"

    def removed(self) -> dict[str, Any]:
        """What the copy no longer holds, for the custody ledger (geometry and times only)."""
        return {
            "regions": [
                {
                    "box": [round(v, 4) for v in (r.box.x, r.box.y, r.box.w, r.box.h)],
                    "span": r.span.as_list() if r.span else "whole",
                    "style": r.style,
                }
                for r in self.regions
            ],
            "muted_spans": [span.as_list() for span in self.muted],
            "muted_as": self.sound,
            "metadata": "all",
        }


def parse_media_redaction(raw: Any, duration: float | None, has_picture: bool) -> MediaRedaction:
    """{"regions": [{"x","y","w","h","start","end","style"}], "mute": [[start, end]], "sound"}.

    Spans must lie within `duration` (seconds); regions need a picture. Something must be
    removed: a copy that hides nothing would claim a redaction that did not happen.
    """
    if not isinstance(raw, dict):
        raise CaseFileError("Say which boxes and which spans to remove.", "redaction")
    regions_raw = raw.get("regions") or []
    mute_raw = raw.get("mute") or []
    if not isinstance(regions_raw, list) or not isinstance(mute_raw, list):
        raise CaseFileError("Boxes and muted spans are lists.", "redaction")
    if len(regions_raw) > MAX_REGIONS or len(mute_raw) > MAX_SPANS:
        raise CaseFileError(
            f"At most {MAX_REGIONS} boxes and {MAX_SPANS} muted spans.", "redaction"
        )
    if regions_raw and not has_picture:
        raise CaseFileError("A recording has no picture to draw boxes on.", "regions")
    if not regions_raw and not mute_raw:
        raise CaseFileError("Draw a box or choose a span to mute: nothing would be removed.")
    sound = raw.get("sound") or "silence"
    if sound not in SOUNDS:
        raise CaseFileError("A muted span is silence or a bleep.", "sound")
    regions = tuple(_region(entry, duration) for entry in regions_raw)
    muted = tuple(_span(entry, duration, "mute") for entry in mute_raw)
    return MediaRedaction(regions, muted, sound)


def _region(entry: Any, duration: float | None) -> Region:
    if not isinstance(entry, dict):
        raise CaseFileError("A box is x, y, w, h with an optional start and end.", "regions")
    style = entry.get("style") or "black"
    if style not in STYLES:
        raise CaseFileError("A box is black or blurred.", "regions")
    span = None
    if entry.get("start") is not None or entry.get("end") is not None:
        span = _span([entry.get("start", 0), entry.get("end")], duration, "regions")
    return Region(parse_rectangle(entry, "regions"), span, style)


def _span(entry: Any, duration: float | None, where: str) -> Span:
    try:
        start, end = (float(v) for v in entry)
    except (TypeError, ValueError):
        raise CaseFileError("A span is a start and an end, in seconds.", where) from None
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
        raise CaseFileError("A span starts at 0 or later and ends after it starts.", where)
    if duration is None:
        raise CaseFileError("The length of this file is unknown, so no span can be checked.", where)
    if end > duration + DURATION_SLACK_SECONDS:
        raise CaseFileError(
            f"The span {start:g}-{end:g} s ends after the file does ({duration:g} s).", where
        )
    return Span(start, min(end, duration))


# --- The ffmpeg command -------------------------------------------------------------------------


def _between(spans: tuple[Span, ...] | list[Span]) -> str:
    return "+".join(f"between(t\\,{s.start:.3f}\\,{s.end:.3f})" for s in spans)


def _box_expressions(box: Rectangle, width: str, height: str) -> dict[str, str]:
    """Pixel bounds as ffmpeg expressions, rounded outwards to even pixels: with 4:2:0 colour
    a box edge on an odd pixel would leave half a chroma sample of what it covers."""
    left = f"2*floor({width}*{box.x:.6f}/2)"
    top = f"2*floor({height}*{box.y:.6f}/2)"
    right = f"min({width}\\,2*ceil({width}*{box.x + box.w:.6f}/2))"
    bottom = f"min({height}\\,2*ceil({height}*{box.y + box.h:.6f}/2))"
    return {"x": left, "y": top, "w": f"{right}-{left}", "h": f"{bottom}-{top}"}


def video_filter(regions: tuple[Region, ...]) -> str:
    """A filter graph from [0:v] to [redacted] drawing every region on its span."""
    steps = []
    current = "0:v"
    for index, region in enumerate(regions):
        enable = f":enable='{_between([region.span])}'" if region.span else ""
        out = f"r{index}"
        if region.style == "black":
            b = _box_expressions(region.box, "iw", "ih")
            steps.append(
                f"[{current}]drawbox=x='{b['x']}':y='{b['y']}':w='{b['w']}':h='{b['h']}'"
                f":color=black:t=fill{enable}[{out}]"
            )
        else:
            b = _box_expressions(region.box, "iw", "ih")
            o = _box_expressions(region.box, "W", "H")
            steps.append(
                f"[{current}]split[base{index}][src{index}];"
                f"[src{index}]crop=w='{b['w']}':h='{b['h']}':x='{b['x']}':y='{b['y']}',"
                f"boxblur=luma_radius='min(w\\,h)/2':luma_power=10"
                f":chroma_radius='min(cw\\,ch)/2':chroma_power=10[blur{index}];"
                f"[base{index}][blur{index}]overlay=x='{o['x']}':y='{o['y']}'{enable}[{out}]"
            )
        current = out
    steps.append(f"[{current}]null[redacted]")
    return ";".join(steps)


def audio_filter(muted: tuple[Span, ...], sound: str) -> str:
    """A filter graph from [0:a] to [sound] that silences (or bleeps) the muted spans.

    Per sample (aeval: `t` is each sample's time), not per decoded frame as a filter's
    timeline option would be: a frame of 1,024 to 4,608 samples that starts just before a span
    would otherwise pass whole, and with it the first syllable of the name to be hidden.
    """
    if not muted:
        return "[0:a]anull[sound]"
    when = _between(muted)
    inside = f"{BLEEP_AMPLITUDE}*sin(2*PI*{BLEEP_HERTZ}*t)" if sound == "bleep" else "0"
    return f"[0:a]aeval=exprs='if({when}\\,{inside}\\,val(ch))':channel_layout=same[sound]"


def ffmpeg_argv(
    media_type: str, redaction: MediaRedaction, has_picture: bool, has_sound: bool
) -> list[str]:
    """Original on stdin, redacted copy on stdout; only the mapped picture and sound go out."""
    from app.vault.media.tools import input_args, tool_path

    graph, maps = [], []
    if has_picture:
        graph.append(video_filter(redaction.regions))
        maps += ["-map", "[redacted]"]
    if has_sound:
        graph.append(audio_filter(redaction.muted, redaction.sound))
        maps += ["-map", "[sound]"]
    argv = [tool_path("ffmpeg"), "-v", "error", *input_args(media_type, "ffmpeg")]
    argv += ["-filter_complex", ";".join(graph), *maps]
    # Nothing of the original's metadata: no global or stream tags, no chapters, and bit-exact
    # muxing (no encoder version strings either).
    argv += ["-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact"]
    if has_picture:
        argv += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"]
        if has_sound:
            argv += ["-c:a", "aac", "-b:a", "192k", "-flags:a", "+bitexact"]
        argv += ["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"]
    else:
        argv += ["-c:a", "flac", "-flags:a", "+bitexact", "-f", "flac"]
    argv.append("pipe:1")
    return argv


# --- Storing the copy ---------------------------------------------------------------------------


def _probe(reader: Any, item: EvidenceItem) -> tuple[float | None, bool, bool]:
    """(duration in seconds, has a picture, has sound), read by ffprobe from the original.

    A recording's "picture" (an MP3's cover art) is not one: only a video's counts.
    """
    from app.vault.media.av_metadata import extract_av
    from app.vault.models import EvidenceKind

    fields = extract_av(reader, item.media_type).fields
    has_picture = item.kind == EvidenceKind.VIDEO.value and "video" in fields
    return fields.get("duration_seconds"), has_picture, "audio" in fields


def create_redacted_media_copy(casefile: CaseFile, user: Any, item: EvidenceItem, raw: Any) -> Any:
    """Store a redacted copy of a video or recording, linked to its original in the ledger.

    Spans outside the file, empty redactions or a file ffmpeg cannot decode store nothing.
    """
    from app.vault.media.av_metadata import plaintext_for_tools
    from app.vault.media.derivatives import store_derivative_chunks
    from app.vault.media.mp4_layout import MissingIndex
    from app.vault.media.tools import MediaToolError, stream_through
    from app.vault.models import DerivativeKind, EvidenceKind
    from app.vault.storage import open_plaintext

    if item.kind not in (EvidenceKind.VIDEO.value, EvidenceKind.AUDIO.value):
        raise CaseFileError("Only videos and recordings are redacted here.")
    reader = open_plaintext(item.blob_key)
    duration, has_picture, has_sound = _probe(reader, item)
    if item.kind == EvidenceKind.VIDEO.value and not has_picture:
        raise CaseFileError("No picture could be read from this video.")
    if not (has_picture or has_sound):
        raise CaseFileError("No sound could be read from this recording.")
    redaction = parse_media_redaction(raw, duration, has_picture)
    if redaction.muted and not has_sound:
        raise CaseFileError("This video has no sound to mute.", "mute")
    argv = ffmpeg_argv(item.media_type, redaction, has_picture, has_sound)
    timeout = TIMEOUT_FLOOR_SECONDS + TIMEOUT_PER_MEDIA_SECOND * (duration or 0)
    copy = stream_through(argv, plaintext_for_tools(reader, item.media_type), timeout)
    media_type = VIDEO_MEDIA_TYPE if has_picture else AUDIO_MEDIA_TYPE
    try:
        return store_derivative_chunks(
            item, DerivativeKind.REDACTED, media_type, copy, user, redaction.removed()
        )
    except (MediaToolError, MissingIndex) as exc:
        raise CaseFileError(f"The file could not be redacted: {exc}") from None
