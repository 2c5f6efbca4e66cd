"""Every service's refusal derives from one base that carries field, message, status and code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.admin.services import InvestigationError
from app.api.tokens.services import TokenError
from app.auth.services.accounts import AccountError
from app.casefiles.services.errors import CaseFileConflict, CaseFileError, CaseFileForbidden
from app.intake.errors import (
    IntakePermissionError,
    IntakeValidationError,
    NumberingContention,
    SealedTestimonyError,
)
from app.service_errors import ServiceError
from app.vault.upload.refusals import IntakeRefused

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "family",
    [
        IntakeValidationError,
        CaseFileError,
        AccountError,
        InvestigationError,
        TokenError,
        IntakeRefused,
    ],
)
def test_every_service_family_derives_from_the_one_base(family):
    assert issubclass(family, ServiceError)


def test_the_base_imports_nothing_from_the_packages_above_it():
    tree = ast.parse((ROOT / "app" / "service_errors.py").read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.split(".")[0] in {"app", "flask"}]


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (CaseFileError("No."), 400, "bad_request"),
        (CaseFileForbidden("Not yours."), 403, "forbidden"),
        (CaseFileConflict("Approved."), 409, "conflict"),
        (IntakePermissionError("only the author"), 403, "forbidden"),
        (SealedTestimonyError(), 409, "testimony_sealed"),
        (NumberingContention("try again"), 503, "busy"),
        (IntakeRefused("too_large", "Too large."), 413, "too_large"),
        (TokenError("too_long", "Use at most 80 characters.", "name"), 400, "too_long"),
    ],
)
def test_each_refusal_carries_its_status_and_code(refusal, status, code):
    assert (refusal.status, refusal.code) == (status, code)


def test_an_intake_refusal_keeps_its_detail_out_of_the_message_for_the_person():
    refusal = IntakePermissionError("only the author of a testimony may change it")
    assert refusal.message == "Your account may not change this record."
    assert str(refusal) == "only the author of a testimony may change it"
