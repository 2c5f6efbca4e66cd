"""Drafts fixtures: the intake world (one investigation, its members, an outsider)."""

from tests.intake.conftest import client_for, keys, nodes, world  # noqa: F401
