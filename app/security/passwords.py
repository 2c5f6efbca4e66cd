"""Password hashing with argon2id (argon2-cffi), with rehash when parameters change."""

from __future__ import annotations

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
    """True when the password matches; False for a mismatch or an unusable stored hash."""
    if not stored_hash:
        # Spend the same effort as a real check so a missing account is not told apart by timing.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
