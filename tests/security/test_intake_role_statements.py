"""The intake role's statements: what docs/operations.md shows is what the command prints and
the PostgreSQL test applies, and none lets the role change the ledger."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.security.intake_role import intake_role_statements

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_the_command_prints_the_statements_the_test_applies(app):
    result = app.test_cli_runner().invoke(args=["db", "intake-role", "--name", "custos_intake"])
    assert result.exit_code == 0, result.output
    printed = [line.removesuffix(";") for line in result.output.splitlines()]
    assert printed == intake_role_statements("custos_intake")


def test_the_operations_guide_shows_exactly_those_statements():
    block = DOC.read_text().split("## An intake node's database role", 1)[1].split("```sql", 1)[1]
    shown = [line.removesuffix(";") for line in block.split("```", 1)[0].strip().splitlines()[1:]]
    assert shown == intake_role_statements("custos_intake")


def test_no_statement_lets_the_role_change_or_read_the_ledger_or_testimony():
    for statement in intake_role_statements("custos_intake"):
        if '"custody_entries"' in statement or '"audit_events"' in statement:
            assert not re.search(r"\b(UPDATE|DELETE|TRUNCATE)\b", statement), statement
        if '"interviews"' in statement or '"witnesses"' in statement:
            assert "transcript" not in statement and "full_name" not in statement, statement
            assert not re.match(r"GRANT SELECT ON", statement), statement


@pytest.mark.parametrize("name", ["Robert'); DROP TABLE users;--", "CamelCase", ""])
def test_a_role_name_that_is_not_a_plain_identifier_is_refused(app, name):
    result = app.test_cli_runner().invoke(args=["db", "intake-role", "--name", name])
    assert result.exit_code != 0
    assert "lower-case letters" in result.output


def test_create_never_prints_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["db", "intake-role", "--name", "custos_intake", "--create"],
        input="a-long-secret\na-long-secret\n",
    )
    assert result.exit_code != 0
    assert "goes with --apply" in result.output
    assert "a-long-secret" not in result.output
