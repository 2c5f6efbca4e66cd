"""Video frames for PDQ, sampled by ffmpeg from the decrypted stream through a pipe."""

from __future__ import annotations

from collections.abc import Iterator

from app.vault.media.av_metadata import plaintext_for_tools
from app.vault.media.mp4_layout import MissingIndex, Ranges
from app.vault.media.tools import MediaToolError, input_args, run_on_stream, tool_path

# One frame a second, at most MAX_FRAMES spread over the whole video. Frames are scaled to a
# fixed square: copies at another size or bit rate scale to the same picture.
FRAME_SIDE = 160
FRAME_BYTES = FRAME_SIDE * FRAME_SIDE * 3
MAX_FRAMES = 120
SAMPLING_TIMEOUT_SECONDS = 300


class FramesUnavailable(ValueError):
    """No frame could be sampled; the message says why (never content or names)."""


def sampling_rate(duration_seconds: float | None) -> float:
    """Frames per second: 1, or fewer so that a long video still gives MAX_FRAMES."""
    if not duration_seconds or duration_seconds <= MAX_FRAMES:
        return 1.0
    return MAX_FRAMES / duration_seconds


def sample_frames(
    source: Ranges, media_type: str, duration_seconds: float | None
) -> Iterator[tuple[int, bytes]]:
    """(second, RGB24 pixels of FRAME_SIDE x FRAME_SIDE) for each sampled frame."""
    rate = sampling_rate(duration_seconds)
    argv = [
        tool_path("ffmpeg"),
        "-v",
        "error",
        *input_args(media_type, "ffmpeg"),
        "-map",
        "0:v:0",
        "-vf",
        f"fps={rate:.6f},scale={FRAME_SIDE}:{FRAME_SIDE}",
        "-frames:v",
        str(MAX_FRAMES),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
    ]
    try:
        run = run_on_stream(
            argv,
            plaintext_for_tools(source, media_type),
            SAMPLING_TIMEOUT_SECONDS,
            FRAME_BYTES * MAX_FRAMES,
        )
    except (MediaToolError, MissingIndex) as exc:
        raise FramesUnavailable(str(exc)[:300]) from None
    whole = len(run.stdout) // FRAME_BYTES
    if whole == 0:
        last = run.stderr.splitlines()[-1] if run.stderr else "no video frame could be decoded"
        raise FramesUnavailable(f"ffmpeg: {last[:280]}")
    for index in range(whole):
        second = round(index / rate)
        yield second, run.stdout[index * FRAME_BYTES : (index + 1) * FRAME_BYTES]
