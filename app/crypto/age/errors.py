"""The age error hierarchy: one class per failure the age test vectors tell apart."""


class AgeError(Exception):
    """Any failure to parse, decrypt or authenticate an age file or key."""


class KeyFormatError(AgeError, ValueError):
    """An `age1...` or `AGE-SECRET-KEY-1...` string that is not a valid X25519 key encoding."""


class HeaderError(AgeError):
    """The header is malformed, uses an unsupported version, or carries an invalid stanza."""


class HeaderMacError(HeaderError):
    """The header parsed and the file key unwrapped, but the header MAC does not match."""


class NoMatchingIdentity(AgeError):
    """No stanza in the header could be unwrapped by any of the given identities."""


class PayloadError(AgeError):
    """The payload is truncated, tampered with, reordered, or has data after its final chunk."""


class ArmorError(AgeError):
    """The ASCII armor is not the strict PEM subset the age spec allows."""
