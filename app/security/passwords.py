"""Password hashing with argon2id (argon2-cffi), with rehash when parameters change."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from app.security.password_strength import too_guessable

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """An argon2id PHC string for the password."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; False for a mismatch or an unusable stored hash.

    Without a stored hash (an unknown address, an account whose password was never set) the
    password is verified against a dummy hash made with the same parameters: the same work
    as a real check, so the time taken does not tell who has an account.
    """
    if not stored_hash:
        _verify(_dummy_hash(), password)
        return False
    return _verify(stored_hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    """A hash of a random secret nobody knows, made once per app with its parameters."""
    cache = current_app.extensions.setdefault("custos.dummy_password_hash", {})
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in cache:
        cache[key] = hasher.hash(secrets.token_urlsafe(16))
    return cache[key]


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    return _hasher().check_needs_rehash(stored_hash)


def password_problem(password: str, user_inputs: list[str] | None = None) -> str | None:
    """Why a new password is unacceptable (ASVS 5.0 V6.2: length and guessability, never
    composition rules), or None. `user_inputs`: the account's own words (email, name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if password.strip() == "" or len(set(password)) < 4 or too_guessable(password, user_inputs):
        return (
            "This password is too easy to guess: it is, or is built from, a common password, "
            "a pattern, or a word about you or Custos. A few unrelated words make a good one."
        )
    return None
