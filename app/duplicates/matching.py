"""When two fingerprints match: the PDQ thresholds for photos and vPDQ's rule for videos.

Thresholds are Meta's (ThreatExchange): a Hamming distance of at most 31 of 256 bits is a
match, and only hashes of quality at least 50 take part (lower means a flat or featureless
picture, whose hash says little). A photo matches another when any of its eight rotations
and mirrors is within the distance of the other's hash. A video matches another when at
least 80 % of its usable frames match some usable frame of the other, both ways round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_DISTANCE = 31
MIN_QUALITY = 50
MIN_FRAME_SHARE = 0.8


@dataclass(frozen=True)
class Frame:
    hash_hex: str
    dihedral: tuple[str, ...]
    quality: int
    # The same hashes as integers, parsed once: matching XORs them many times.
    value: int = field(init=False, repr=False, compare=False)
    variants: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", int(self.hash_hex, 16))
        object.__setattr__(self, "variants", tuple(int(h, 16) for h in self.dihedral))


@dataclass(frozen=True)
class Match:
    distance: int  # the smallest distance between any two frames that matched
    first_share: float | None = None  # videos: share of the first's frames matched
    second_share: float | None = None


def usable(frames: Sequence[Frame]) -> list[Frame]:
    return [f for f in frames if f.quality >= MIN_QUALITY]


def closest(query: Frame, stored: Frame) -> int:
    """The smallest distance from any rotation or mirror of `query` to `stored` as it is."""
    return min((variant ^ stored.value).bit_count() for variant in query.variants)


def match_photos(query: Frame, stored: Frame) -> Match | None:
    if query.quality < MIN_QUALITY or stored.quality < MIN_QUALITY:
        return None
    best = closest(query, stored)
    return Match(best) if best <= MAX_DISTANCE else None


def match_videos(query: Sequence[Frame], stored: Sequence[Frame]) -> Match | None:
    """vPDQ: the share of each side's usable frames with a match on the other side."""
    mine, theirs = usable(query), usable(stored)
    if not mine or not theirs:
        return None
    best = MAX_DISTANCE + 1
    mine_matched = 0
    theirs_matched: set[int] = set()
    for frame in mine:
        hit = False
        for index, other in enumerate(theirs):
            d = closest(frame, other)
            if d <= MAX_DISTANCE:
                hit = True
                theirs_matched.add(index)
                best = min(best, d)
        mine_matched += hit
    query_share = mine_matched / len(mine)
    stored_share = len(theirs_matched) / len(theirs)
    if query_share >= MIN_FRAME_SHARE and stored_share >= MIN_FRAME_SHARE:
        return Match(best, first_share=stored_share, second_share=query_share)
    return None
