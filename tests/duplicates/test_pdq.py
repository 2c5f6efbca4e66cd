"""PDQ hashing and matching on pictures generated here: the inequalities, not exact hashes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.duplicates.matching import (
    MAX_DISTANCE,
    MIN_QUALITY,
    Frame,
    match_photos,
    match_videos,
)
from app.duplicates.pdq import PictureHash, distance, hash_picture, implementation
from tests.duplicates.support import blurred, flat, jpeg, mirrored, recompressed_and_resized, scene

pytestmark = pytest.mark.nodb


def hashed(data: bytes) -> PictureHash:
    return hash_picture(Image.open(io.BytesIO(data)))


def frame(h: PictureHash) -> Frame:
    return Frame(h.hash_hex, h.dihedral, h.quality)


@pytest.fixture(scope="module")
def original() -> PictureHash:
    return hashed(jpeg(scene(11)))


def test_the_implementation_is_named_with_its_version():
    """Read from the package metadata without importing pdqhash: the very version the
    imported module reports, so stored hashes keep comparing with new ones."""
    import pdqhash

    assert implementation() == f"pdqhash {pdqhash.__version__}"
    assert implementation().startswith("pdqhash 0.")


def test_a_hash_is_256_bits_with_eight_rotations_and_mirrors(original):
    assert len(original.dihedral) == 8
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in original.dihedral)
    assert original.quality >= MIN_QUALITY


@pytest.mark.parametrize("variant", [recompressed_and_resized, blurred])
def test_a_recompressed_resized_or_blurred_copy_is_within_the_distance(original, variant):
    copy = hashed(variant(scene(11)))
    assert distance(original.hash_hex, copy.hash_hex) <= MAX_DISTANCE
    assert match_photos(frame(copy), frame(original)) is not None


def test_a_mirror_image_is_far_as_it_is_but_matches_through_its_mirror(original):
    mirror = hashed(mirrored(scene(11)))
    assert distance(original.hash_hex, mirror.hash_hex) > MAX_DISTANCE
    found = match_photos(frame(mirror), frame(original))
    assert found is not None and found.distance <= MAX_DISTANCE


def test_an_unrelated_picture_does_not_match(original):
    other = hashed(jpeg(scene(12)))
    assert distance(original.hash_hex, other.hash_hex) > MAX_DISTANCE
    assert match_photos(frame(other), frame(original)) is None


def test_a_flat_picture_is_too_featureless_and_matches_nothing(original):
    grey = hashed(flat())
    assert grey.quality < MIN_QUALITY
    assert match_photos(frame(grey), frame(grey)) is None


def test_the_distance_counts_differing_bits():
    assert distance("0" * 64, "0" * 64) == 0
    assert distance("0" * 64, "f" * 64) == 256
    assert distance("0" * 63 + "7", "0" * 64) == 3


def _frames(seeds: list[int], variant=jpeg) -> list[Frame]:
    return [frame(hashed(variant(scene(s)))) for s in seeds]


def test_videos_match_when_at_least_80_percent_of_frames_match_both_ways():
    original = _frames([1, 2, 3, 4, 5])
    copy = _frames([1, 2, 3, 4, 5], recompressed_and_resized)
    found = match_videos(copy, original)
    assert found is not None and found.first_share >= 0.8 and found.second_share >= 0.8


def test_videos_sharing_fewer_than_80_percent_of_frames_do_not_match():
    original = _frames([1, 2, 3, 4, 5])
    partly = _frames([1, 2, 3, 21, 22])  # 3 of 5 frames: 60 %
    assert match_videos(partly, original) is None


def test_featureless_frames_take_no_part_in_a_video_match():
    grey = frame(hashed(flat()))
    assert match_videos([grey, grey], [grey, grey]) is None


def test_a_long_video_is_sampled_at_most_120_times_and_a_short_one_each_second():
    from app.duplicates.frames import MAX_FRAMES, sampling_rate

    assert sampling_rate(30) == 1.0 and sampling_rate(None) == 1.0
    assert sampling_rate(3600) * 3600 == pytest.approx(MAX_FRAMES)
