"""Runs ffprobe and ffmpeg over decrypted evidence through pipes, never a plaintext file."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# ffmpeg's demuxer for each media type libmagic reports for our allowed audio/video types.
# Forcing the demuxer (-f) means a file is parsed only as what intake detected it to be: a
# playlist format (HLS, concat) that would open other files or URLs is never even probed.
DEMUXERS = {
    "video/mp4": "mov",
    "video/quicktime": "mov",
    "video/3gpp": "mov",
    "audio/mp4": "mov",
    "audio/x-m4a": "mov",
    "audio/m4a": "mov",
    "video/webm": "matroska",
    "video/x-matroska": "matroska",
    "audio/webm": "matroska",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "application/ogg": "ogg",
    "video/ogg": "ogg",
    "audio/x-wav": "wav",
    "audio/wav": "wav",
    "audio/vnd.wave": "wav",
    "audio/amr": "amr",
    "audio/AMR": "amr",
}
ISO_BMFF_TYPES = frozenset(t for t, demuxer in DEMUXERS.items() if demuxer == "mov")

# Every input option set given before `-i pipe:0`: only the pipe may be opened, so nothing in
# a hostile file can make ffmpeg read another file or reach the network.
_INPUT_GUARD = ["-hide_banner", "-protocol_whitelist", "pipe"]
_MAX_STDERR = 64 * 1024
# What stream_through hands on at a time (a pipe's reads are at most this anyway).
_STREAM_BLOCK = 1024 * 1024
# ffmpeg parses hostile input: cap what one run can take, so a crafted file that makes a
# decoder allocate without end kills the tool, not the server. 4 GiB of address space is
# several times what decoding one 4K frame needs.
TOOL_ADDRESS_SPACE_BYTES = 4 * 1024**3


class MediaToolMissing(RuntimeError):
    """ffprobe/ffmpeg is not installed (the operator runs `make system-deps`)."""


class MediaToolError(RuntimeError):
    """The tool failed or timed out; the message holds its (short) error output."""


@dataclass(frozen=True)
class ToolRun:
    stdout: bytes
    returncode: int
    stderr: str


def tool_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MediaToolMissing(f"{name} is not installed: run `make system-deps` (Debian: ffmpeg)")
    return path


def input_args(media_type: str, tool: str = "ffprobe") -> list[str]:
    """Options that pin how ffmpeg/ffprobe read the piped input."""
    demuxer = DEMUXERS.get(media_type)
    forced = ["-f", demuxer] if demuxer else []
    # ffmpeg would otherwise also read keyboard commands from stdin, which is our data.
    no_keys = ["-nostdin"] if tool == "ffmpeg" else []
    return [*no_keys, *_INPUT_GUARD, *forced, "-i", "pipe:0"]


def run_on_stream(
    argv: list[str], chunks: Iterable[bytes], timeout: float, max_output: int
) -> ToolRun:
    """Run argv with the chunks on its stdin; collect stdout (at most max_output bytes).

    The tool may stop reading early (ffprobe has what it needs after the headers); the rest
    of the stream is then neither decrypted nor sent. A tool that runs past `timeout` seconds
    or prints more than `max_output` bytes is killed and reported as an error.
    """
    process, kill = _start_limited(argv, timeout)
    out = bytearray()
    err = bytearray()
    overflow = threading.Event()

    def collect(stream, buffer: bytearray, limit: int, flag: threading.Event | None) -> None:
        while block := stream.read(65536):
            if len(buffer) + len(block) > limit:
                if flag is not None:
                    flag.set()
                    kill()
                buffer += block[: max(limit - len(buffer), 0)]
                continue
            buffer += block

    readers = [
        threading.Thread(target=collect, args=(process.stdout, out, max_output, overflow)),
        threading.Thread(target=collect, args=(process.stderr, err, _MAX_STDERR, None)),
    ]
    with _watched(process, kill, timeout, readers) as timed_out:
        _feed(process, chunks)
        returncode = process.wait()
    stderr = err.decode("utf-8", "replace").strip()
    name = argv[0].rsplit("/", 1)[-1]
    if timed_out.is_set():
        raise MediaToolError(f"{name} did not finish within {timeout:g} seconds")
    if overflow.is_set():
        raise MediaToolError(f"{name} printed more than {max_output} bytes")
    return ToolRun(bytes(out), returncode, stderr[-2000:])


def _start_limited(argv: list[str], timeout: float) -> tuple[subprocess.Popen, Callable[[], None]]:
    """The tool started with pipes on all three streams, limited, and a way to kill it."""
    # Its own process group, so a kill reaches anything it started as well.
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )

    def kill() -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # already gone

    # Set from outside (prlimit) rather than in a preexec_fn, which is unsafe in threaded
    # servers; the tool is still waiting for its first input byte, so nothing ran unlimited.
    limit_tool(process.pid, timeout)
    return process, kill


@contextmanager
def _watched(
    process: subprocess.Popen,
    kill: Callable[[], None],
    timeout: float,
    threads: list[threading.Thread],
) -> Iterator[threading.Event]:
    """Start the threads that feed or drain the tool and a watchdog that kills it at `timeout`.

    Yields the event the watchdog sets when it fired. However the block ends (done, an error,
    a consumer that stopped reading), the tool is killed if still running and reaped, and the
    threads are given a moment to finish.
    """
    for thread in threads:
        thread.daemon = True
        thread.start()
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        kill()

    watchdog = threading.Timer(timeout, expire)
    watchdog.start()
    try:
        yield timed_out
    finally:
        watchdog.cancel()
        if process.poll() is None:
            kill()
            process.wait()
        for thread in threads:
            thread.join(timeout=5)


def limit_tool(pid: int, timeout: float) -> None:
    cpu = int(timeout) + 1
    try:
        resource.prlimit(pid, resource.RLIMIT_AS, (TOOL_ADDRESS_SPACE_BYTES,) * 2)
        resource.prlimit(pid, resource.RLIMIT_CPU, (cpu, cpu))
    except ProcessLookupError:
        pass  # the tool already exited (e.g. a bad option); its exit status tells the rest


def _feed(process: subprocess.Popen, chunks: Iterable[bytes]) -> None:
    stdin = process.stdin
    assert stdin is not None
    try:
        for chunk in chunks:
            if process.poll() is not None:
                break
            stdin.write(chunk)
    except BrokenPipeError:
        pass  # the tool has read all it needs and closed its input: a normal, early finish
    finally:
        try:
            stdin.close()
        except BrokenPipeError:
            pass  # same as above: the unread rest of the stream is simply dropped


def stream_through(argv: list[str], chunks: Iterable[bytes], timeout: float) -> Iterator[bytes]:
    """Run argv with the chunks on its stdin and yield its stdout as it comes, block by block.

    For tools that write a file of the input's size (a redacted video): nothing is collected,
    so memory stays flat whatever the length. Raises MediaToolError when the tool fails, runs
    past `timeout` seconds, or its input could not be produced; the consumer (write_encrypted)
    then aborts what it was storing.
    """
    process, kill = _start_limited(argv, timeout)
    err = bytearray()
    feed_error: list[BaseException] = []

    def feed() -> None:
        try:
            _feed(process, chunks)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consuming thread below
            feed_error.append(exc)
            kill()

    def collect_stderr() -> None:
        assert process.stderr is not None
        while block := process.stderr.read(65536):
            if len(err) < _MAX_STDERR:
                err.extend(block[: _MAX_STDERR - len(err)])

    helpers = [threading.Thread(target=feed), threading.Thread(target=collect_stderr)]
    name = argv[0].rsplit("/", 1)[-1]
    with _watched(process, kill, timeout, helpers) as timed_out:
        assert process.stdout is not None
        while block := process.stdout.read(_STREAM_BLOCK):
            yield block
        returncode = process.wait()
    if feed_error:
        raise feed_error[0]
    if timed_out.is_set():
        raise MediaToolError(f"{name} did not finish within {timeout:g} seconds")
    if returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise MediaToolError(f"{name}: {(lines[-1] if lines else 'failed')[:300]}")
