"""The bag's tar is written as it streams: each file's chunks reach the sink as they came (no
buffer that copies or gathers them), and the archive is one that tar and tarfile read."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile

import pytest

from app.casefiles.services.bag_stream import TarTarget
from app.casefiles.services.errors import ExportError

pytestmark = pytest.mark.nodb


class Sink:
    def __init__(self) -> None:
        self.data = bytearray()
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(data)
        self.data += data
        return len(data)


def chunks(count: int, size: int) -> list[bytes]:
    return [bytes([n % 251]) * size for n in range(count)]


def test_file_chunks_reach_the_sink_as_they_came_and_nothing_bigger():
    sink = Sink()
    tar = TarTarget(sink, "CF-2024-001")
    pieces = chunks(40, 64 * 1024)
    tar.add("data/items/001-evidence-abcdef12/original/video.mp4", 40 * 64 * 1024, pieces)
    tar.close()
    # The very chunk objects, in order: not copied into a buffer, not gathered into MiBs.
    passed = [w for w in sink.writes if any(w is p for p in pieces)]
    assert len(passed) == len(pieces) and all(a is b for a, b in zip(passed, pieces, strict=True))
    assert max(len(w) for w in sink.writes) == 64 * 1024


def test_the_archive_reads_back_with_tarfile_and_tar(tmp_path):
    sink = Sink()
    tar = TarTarget(sink, "CF-2024-001")
    long_name = "data/items/002-evidence-0123abcd/original/" + "شاهد-" * 30 + ".jpg"
    files = {
        "bagit.txt": [b"BagIt-Version: 1.0\n"],
        long_name: chunks(3, 1000),
        "data/empty.txt": [],
        "data/exact.bin": [b"x" * 512],
    }
    for name, parts in files.items():
        tar.add(name, sum(map(len, parts)), parts)
    tar.close()
    assert len(sink.data) % tarfile.RECORDSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(bytes(sink.data)), mode="r:") as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == [f"CF-2024-001/{name}" for name in files]
        for member, parts in zip(members, files.values(), strict=True):
            assert archive.extractfile(member).read() == b"".join(parts)
            assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
    if shutil.which("tar"):
        path = tmp_path / "bag.tar"
        path.write_bytes(sink.data)
        listed = subprocess.run(["tar", "-tf", str(path)], capture_output=True, check=True)
        assert listed.stdout.decode().splitlines()[1] == f"CF-2024-001/{long_name}"


@pytest.mark.parametrize("parts", [[b"abc"], [b"abcdef", b"g"]])
def test_a_file_that_changed_size_is_refused(parts):
    tar = TarTarget(Sink(), "CF")
    with pytest.raises(ExportError, match="changed size"):
        tar.add("data/x.bin", 5, parts)
