"""Bech32 (BIP173) as age uses it: no 90-character limit, all-upper or all-lower case."""

from __future__ import annotations

from .errors import KeyFormatError

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LEN = 6


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or (acc << (to_bits - bits)) & max_value:
        # BIP173: at most 4 bits of zero padding, so each string has exactly one decoding.
        raise KeyFormatError("bech32 data has non-zero or excess padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode data under hrp; the case of hrp decides the case of the whole string."""
    upper = hrp.isupper()
    hrp_lower = hrp.lower()
    words = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod(_hrp_expand(hrp_lower) + words + [0] * _CHECKSUM_LEN) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LEN)]
    text = hrp_lower + "1" + "".join(_CHARSET[w] for w in words + checksum)
    return text.upper() if upper else text


def decode(text: str) -> tuple[str, bytes]:
    """Return (hrp as written, data); raise KeyFormatError on any BIP173 violation."""
    if not text or any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise KeyFormatError("bech32 string has characters outside US-ASCII 33-126")
    if text.lower() != text and text.upper() != text:
        raise KeyFormatError("bech32 string mixes upper and lower case")
    sep = text.rfind("1")
    if sep < 1 or sep + 1 + _CHECKSUM_LEN > len(text):
        raise KeyFormatError("bech32 separator misplaced")
    hrp = text[:sep]
    lower = text.lower()
    try:
        words = [_CHARSET_INDEX[c] for c in lower[sep + 1 :]]
    except KeyError:
        raise KeyFormatError("bech32 data has a character outside the charset") from None
    # The checksum is always computed over the lowercase form (C2SP age, Conventions).
    if _polymod(_hrp_expand(lower[:sep]) + words) != 1:
        raise KeyFormatError("bech32 checksum mismatch")
    data = bytes(_convert_bits(words[:-_CHECKSUM_LEN], 5, 8, pad=False))
    return hrp, data
