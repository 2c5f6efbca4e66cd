"""How guessable a new password is: zxcvbn's estimate, fed Custos's context-specific words.

zxcvbn (Dropbox's estimator) matches a password against ranked lists of the most common
passwords from public breach corpora, English words, names, keyboard patterns, dates,
repeats and l33t substitutions, and estimates how many guesses an attacker needs. Custos adds
the words an attacker would try first against this system (ASVS 5.0 V6.1.2 / V6.2.11): the
product's own vocabulary below, the organisation's words from CUSTOS_PASSWORD_CONTEXT_WORDS,
and the account's own email and name. Everything is offline: no password leaves the server.
"""

from __future__ import annotations

import re

from flask import current_app

# The documented list of context-specific words (docs/security.md, "Passwords").
CONTEXT_WORDS = (
    "custos",
    "custody",
    "evidence",
    "vault",
    "investigation",
    "investigator",
    "witness",
    "testimony",
    "interview",
    "incident",
    "airstrike",
    "casefile",
    "lawyer",
    "field",
    "admin",
    "administrator",
    "amnesty",
    "humanrights",
    "warcrimes",
)


def account_words(*values: str | None) -> list[str]:
    """Words from an account's email and name that a password should not be built on."""
    words: list[str] = []
    for value in values:
        words.extend(w for w in re.split(r"[^\w]+", (value or "").lower()) if len(w) >= 3)
    return words


def context_words() -> list[str]:
    extra = current_app.config.get("PASSWORD_CONTEXT_WORDS", ())
    return [*CONTEXT_WORDS, *(w.lower() for w in extra)]


def estimated_guesses_log10(password: str, user_inputs: list[str] | None = None) -> float:
    """log10 of the guesses zxcvbn estimates an attacker needs for this password."""
    # Imported here: its ranked word lists take about 15 MB, which a web worker should spend
    # only when someone sets a password, not on every upload it serves.
    from zxcvbn import zxcvbn

    result = zxcvbn(
        password, user_inputs=[*context_words(), *(user_inputs or [])], max_length=len(password)
    )
    return float(result["guesses_log10"])


def too_guessable(password: str, user_inputs: list[str] | None = None) -> bool:
    minimum = current_app.config["PASSWORD_MIN_GUESSES_LOG10"]
    return estimated_guesses_log10(password, user_inputs) < minimum
