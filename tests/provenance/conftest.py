"""Phones for the ProofMode tests: each with its own OpenPGP key, made once per module."""

from __future__ import annotations

import pytest

from tests.provenance.proofmode_vectors import make_phone


@pytest.fixture(scope="module")
def phone():
    made = make_phone()
    yield made
    made.close()


@pytest.fixture(scope="module")
def other_phone():
    made = make_phone("other@example.org")
    yield made
    made.close()
