"""When two spellings name the same place or person: Arabic and Latin letters, near spellings.

Names in Syria and its neighbours reach the record in Arabic script and in several Latin
transliterations ("سرمين", "Sarmin", "Sermin"; "Deir ez-Zor", "Dayr az Zawr"). Each word is
reduced to its consonant skeleton, the way Arabic writes it:

1. Arabic script: diacritics and tatweel dropped, hamza forms of alif made plain, the article
   "ال" removed from the front of a word; tā' marbūṭa ("ة") read both as "t" and as nothing
   ("معرة" is "Maarrat" and "Maarra").
2. Latin letters through AnyASCII (which also carries Arabic script into Latin), lowercased; an
   article word ("al", "el", and its assimilated forms "ar-", "ez-", "az" before a word that
   starts with that consonant) dropped; a final "t" or "h" after a vowel read both ways.
3. Then the vowels (a e i o u) and the semivowels (w y, written as long vowels in Arabic) go,
   ayn and hamza marks go, French and English spellings of one sound become one ("ch" "sh",
   "dj" "j", "q" "k", "ph" "f"), and a doubled letter is one ("Maarrat" is "mrt").

A search word matches a name word when they share a skeleton, when the search word's skeleton
(three letters or more) begins the name word's, or when both are four letters or more and differ
by one letter (rapidfuzz's Levenshtein distance): "Sarnin" finds "Sarmin". Every word of the
search must match some word of the name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # tashkeel, superscript alif, tatweel
PLAIN_ALIF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})
WORDS = re.compile(r"[^\W_]+")
ARTICLES = frozenset({"al", "el", "il", "ul", "l"})
ONE_SOUND = (("ch", "sh"), ("dj", "j"), ("ph", "f"), ("q", "k"))
NOT_CONSONANTS = re.compile(r"[aeiouwy'`]")
DOUBLED = re.compile(r"(.)\1+")
MIN_PREFIX = 3
MIN_NEAR = 4


def _consonants(latin: str) -> str:
    text = latin.lower()
    for spelling, sound in ONE_SOUND:
        text = text.replace(spelling, sound)
    return NOT_CONSONANTS.sub("", DOUBLED.sub(r"\1", text))


def _arabic_word(word: str) -> set[str]:
    word = ARABIC_MARKS.sub("", word).translate(PLAIN_ALIF)
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    readings = {word.replace("ة", "ت"), word.replace("ة", "")} if "ة" in word else {word}
    return {_consonants(anyascii(reading)) for reading in readings}


def _latin_word(word: str) -> set[str]:
    word = anyascii(word).lower()
    readings = {word}
    if len(word) > 3 and word[-1] in "th" and word[-2] in "aeiou":
        readings.add(word[:-1])
    return {_consonants(reading) for reading in readings}


def _is_article(word: str, following: str | None) -> bool:
    """An article: "al", or one assimilated to the next word's first letter ("ez-Zor")."""
    if word in ARTICLES:
        return True
    return (
        following is not None
        and len(word) in (2, 3)
        and word[0] in "ae"
        and following.startswith(word[1:])
    )


@lru_cache(maxsize=4096)
def skeletons(name: str) -> tuple[frozenset[str], ...]:
    """The name's words, each as the set of its consonant skeletons (articles left out)."""
    words = WORDS.findall(unicodedata.normalize("NFKC", name or ""))
    lowered = [anyascii(word).lower() for word in words]
    result = []
    for index, word in enumerate(words):
        following = lowered[index + 1] if index + 1 < len(words) else None
        if ARABIC_LETTERS.search(word):
            found = _arabic_word(word)
        elif _is_article(lowered[index], following):
            continue
        else:
            found = _latin_word(word)
        found.discard("")
        if found:
            result.append(frozenset(found))
    return tuple(result)


def _word_matches(sought: frozenset[str], name_word: frozenset[str]) -> bool:
    if sought & name_word:
        return True
    # Imported here: rapidfuzz costs a web worker 3.7 MB of its 120 MB budget, and only a
    # search by name needs it (tests/test_web_worker.py).
    from rapidfuzz.distance import Levenshtein

    for mine in sought:
        for theirs in name_word:
            if len(mine) >= MIN_PREFIX and theirs.startswith(mine):
                return True
            if (
                min(len(mine), len(theirs)) >= MIN_NEAR
                and Levenshtein.distance(mine, theirs, score_cutoff=1) <= 1
            ):
                return True
    return False


def spelled_alike(search: str, name: str) -> bool:
    """Whether `name` is what someone typing `search` may mean (in either script)."""
    sought = skeletons(search)
    if not sought:
        return False
    words = skeletons(name)
    return all(any(_word_matches(word, theirs) for theirs in words) for word in sought)


def names_spelled_alike(search: str, names: list[str]) -> list[str]:
    """Those of `names` that `search` may mean, in their order."""
    return [name for name in names if spelled_alike(search, name)]
