"""Video redaction against plain ffmpeg re-encoding of the same clip, same run.

Issue 16, "Speed and memory": a one-minute 1080p clip (ffmpeg's testsrc2 with a tone, H.264 and
AAC, index first) is stored as evidence in a private instance and redacted the way the app does
it (`create_redacted_media_copy`: one black box for half the clip and a muted span, the
original decrypted into ffmpeg's stdin and the copy encrypted from its stdout). The baseline
is ffmpeg re-encoding the same clip from a plaintext file to a file with the same encoder
settings (libx264 veryfast, CRF 18; AAC 192k), no filter. Budget: redaction <= 1.5x the
baseline's time (pipes, decryption, encryption and the drawn box cost at most half as much
again as the encoding itself).

    .venv/bin/python benchmarks/bench_redaction.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_custody_verify import build_app  # noqa: E402 - a new instance
from benchmarks.budgets import record  # noqa: E402

BUDGET_RATIO = 1.5


def make_clip(folder: Path, seconds: int) -> Path:
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    clip = folder / "clip.mp4"
    subprocess.run(  # noqa: S603 - fixed arguments
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i"]
        + [f"testsrc2=size=1920x1080:rate=25:duration={seconds}", "-f", "lavfi", "-i"]
        + [f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast"]
        + ["-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(clip)],
        check=True,
    )
    return clip


def plain_reencode(clip: Path, folder: Path) -> float:
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed arguments
        [ffmpeg, "-v", "error", "-y", "-i", str(clip), "-c:v", "libx264", "-preset", "veryfast"]
        + ["-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k"]
        + [str(folder / "plain.mp4")],
        check=True,
    )
    return time.perf_counter() - started


def redact(app, clip: Path, seconds: int) -> tuple[float, int]:
    """(seconds, copy size) of the app's redaction of the clip, stored as evidence first."""
    from app.auth.models import User
    from app.casefiles.services.media_redaction import create_redacted_media_copy
    from app.extensions import db
    from app.investigations.models import Investigation, Membership
    from app.vault.upload.stream import begin_intake

    with app.app_context():
        lawyer = User(email="bench-redact@example.org", name="Bench Lawyer", role="lawyer")
        investigation = Investigation(reference="INV-2024-REDACT", title="bench", description="")
        db.session.add_all([lawyer, investigation])
        db.session.flush()
        db.session.add(
            Membership(investigation_id=investigation.id, user_id=lawyer.id, role="lawyer")
        )
        db.session.commit()
        writer = begin_intake(investigation, lawyer, "clip.mp4", None, clip.stat().st_size)
        with open(clip, "rb") as handle:
            while block := handle.read(1024 * 1024):
                writer.write(block)
        video = writer.finish()
        db.session.commit()
        half = seconds / 2
        started = time.perf_counter()
        copy = create_redacted_media_copy(
            None,
            lawyer,
            video,
            {
                "regions": [{"x": 0.3, "y": 0.3, "w": 0.2, "h": 0.3, "start": 0, "end": half}],
                "mute": [[half / 2, half]],
            },
        )
        db.session.commit()
        return time.perf_counter() - started, copy.size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=int, default=int(os.environ.get("BENCH_REDACTION_SECONDS", "60"))
    )
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        clip = make_clip(instance, args.seconds)
        baseline = plain_reencode(clip, instance)
        app = build_app(instance)
        seconds, size = redact(app, clip, args.seconds)
    ratio = seconds / baseline
    ok = record(
        "redaction",
        f"{args.seconds} s 1080p video: <= {BUDGET_RATIO}x plain ffmpeg re-encoding",
        f"{ratio:.2f}x",
        ratio <= BUDGET_RATIO,
    )
    print(f"{'clip':>10} {'redaction s':>11} {'ffmpeg s':>9} {'ratio':>6} {'copy MB':>8}")
    print(
        f"{args.seconds:>7}s HD {seconds:>11.2f} {baseline:>9.2f} {ratio:>6.2f} {size / 1e6:>8.1f}"
        f"  {'ok' if ok else 'OVER BUDGET'} (ratio <= {BUDGET_RATIO})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
