"""The chunk index finds exactly what comparing every stored hash finds, in one investigation."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from app.duplicates.matching import MAX_DISTANCE, Frame, closest, match_videos
from app.duplicates.models import FingerprintFrame, MediaFingerprint, PdqIndexEntry
from app.duplicates.pdq_index import (
    CHUNK_RADIUS,
    chunks,
    frames_to_probe,
    index_frames,
    joined,
    matching_frames,
)
from app.extensions import db
from tests.duplicates.support import Team, add_item, jpeg, scene


def flip(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return value


def random_frame(rng: random.Random, quality: int = 90) -> Frame:
    variants = tuple(f"{rng.getrandbits(256):064x}" for _ in range(8))
    return Frame(variants[0], variants, quality)


@pytest.mark.nodb
def test_the_chunks_are_the_hash_and_two_close_hashes_share_a_close_chunk():
    rng = random.Random(1)
    for _ in range(2000):
        value = rng.getrandbits(256)
        assert joined(chunks(value)) == value
        other = flip(value, rng.randrange(MAX_DISTANCE + 1), rng)
        near = [(a ^ b).bit_count() for a, b in zip(chunks(value), chunks(other), strict=True)]
        assert min(near) <= CHUNK_RADIUS


@pytest.mark.nodb
def test_a_video_probes_enough_frames_to_meet_every_match():
    rng = random.Random(2)
    for n in range(1, 121):
        frames = [random_frame(rng) for _ in range(n)]
        probed = frames_to_probe(frames)
        # Any 80 % of the frames (a video that matches) holds one probed frame.
        assert n - len(probed) < -(-n * 4 // 5)


@pytest.fixture
def stored(app_ctx):
    """Stored frames as the processing job leaves them, in one investigation."""
    team = Team()
    item = add_item(team.investigation, team.lawyer, jpeg(scene(60)))

    def store(frames: list[Frame], investigation=None) -> list[FingerprintFrame]:
        investigation = investigation or team.investigation
        fingerprint = MediaFingerprint(
            evidence_id=item.id,
            investigation_id=investigation.id,
            algorithm="pdq",
            implementation=f"test {rng.getrandbits(64):x}",
            status="hashed",
        )
        for position, frame in enumerate(frames):
            fingerprint.frames.append(
                FingerprintFrame(
                    position=position,
                    quality=frame.quality,
                    hash_hex=frame.hash_hex,
                    dihedral_hex="".join(frame.dihedral),
                )
            )
        db.session.add(fingerprint)
        db.session.flush()
        index_frames(fingerprint)
        db.session.flush()
        return fingerprint.frames

    rng = random.Random(3)
    store.team = team
    return store


def brute_force(query: Frame, frames: list[FingerprintFrame]) -> set[str]:
    return {
        f.id
        for f in frames
        if f.quality >= 50 and closest(query, Frame(f.hash_hex, (), f.quality)) <= MAX_DISTANCE
    }


def test_the_index_finds_what_comparing_every_hash_finds_at_every_rotation(stored):
    rng = random.Random(4)
    queries = [random_frame(rng) for _ in range(6)]
    frames = stored([random_frame(rng) for _ in range(300)])
    for query in queries:
        for variant in query.dihedral:
            value = int(variant, 16)
            for bits in (0, 1, 2, 15, 30, 31, 32, 33, 40, 64):
                twin = f"{flip(value, bits, rng):064x}"
                frames += stored([Frame(twin, (twin,), 90)])
            low = f"{flip(value, 3, rng):064x}"
            frames += stored([Frame(low, (low,), 49)])  # featureless: never a match
    for query in queries:
        expected = brute_force(query, frames)
        assert matching_frames(stored.team.investigation.id, [query]) == expected
        # Each rotation and mirror gives 7 matches (0-31 bits), none at 32 bits or more.
        assert len(expected) == 8 * 6


def test_a_hash_of_another_investigation_is_never_read(stored):
    from tests.helpers.factories import InvestigationFactory

    rng = random.Random(5)
    query = random_frame(rng)
    elsewhere = InvestigationFactory()
    stored([Frame(query.hash_hex, (query.hash_hex,), 90)], investigation=elsewhere)
    assert matching_frames(stored.team.investigation.id, [query]) == set()
    assert matching_frames(elsewhere.id, [query]) != set()


def test_videos_found_through_the_index_are_those_the_full_rule_matches(stored):
    rng = random.Random(6)
    original = [random_frame(rng) for _ in range(20)]
    videos = []
    # The copy's LAST `matched` frames are near the original's: the index probes the first.
    for matched in (20, 17, 16, 15, 3, 0):
        frames = [
            Frame(f"{flip(int(f.hash_hex, 16), 12, rng):064x}", (), 90)
            if i >= len(original) - matched
            else random_frame(rng)
            for i, f in enumerate(original)
        ]
        videos.append(stored([Frame(f.hash_hex, (f.hash_hex,), f.quality) for f in frames]))
    found = matching_frames(stored.team.investigation.id, original)
    candidates = {frames[0].fingerprint_id for frames in videos if found & {f.id for f in frames}}
    for frames in videos:
        full = match_videos(original, [Frame(f.hash_hex, (f.hash_hex,), f.quality) for f in frames])
        if full is not None:
            assert frames[0].fingerprint_id in candidates
    assert (
        sum(
            match_videos(original, [Frame(f.hash_hex, (), 90) for f in v]) is not None
            for v in videos
        )
        == 3
    )  # 20, 17 and 16 of 20 (80 %)


def test_the_processing_job_indexes_usable_frames_and_deleting_a_frame_drops_its_entry(stored):
    (frame,) = stored([random_frame(random.Random(7))])
    entry = db.session.get(PdqIndexEntry, frame.id)
    assert joined(getattr(entry, f"c{i}") for i in range(11)) == int(frame.hash_hex, 16)
    team = stored.team
    item = add_item(team.investigation, team.lawyer, jpeg(scene(61)))
    real = db.session.scalar(
        select(MediaFingerprint).where(MediaFingerprint.evidence_id == item.id)
    )
    assert db.session.get(PdqIndexEntry, real.frames[0].id) is not None
    frame_id = real.frames[0].id
    db.session.delete(real)  # its frames go with it, and their index entries
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PdqIndexEntry, frame_id) is None
    assert db.session.get(PdqIndexEntry, frame.id) is not None
