"""The demo being loaded: the scenario, and the rows made so far, by scenario key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from app.admin.services import InvestigationError
from app.auth.models import User
from app.auth.services.accounts import AccountError
from app.casefiles.models import CaseFile
from app.casefiles.services.errors import CaseFileError
from app.demo.accounts import DemoAccount, EnrollmentFailed
from app.demo.media import MediaGenerationError
from app.demo.specs import Scenario, ScenarioError
from app.extensions import db
from app.intake.errors import IntakeError
from app.intake.models import Incident, Interview, Witness
from app.investigations.models import Investigation
from app.vault.models import EvidenceItem
from app.vault.upload.refusals import IntakeRefused

# What the services refuse with a message; anything else is a bug and keeps its traceback.
REFUSALS = (
    AccountError,
    CaseFileError,
    EnrollmentFailed,
    IntakeError,
    IntakeRefused,
    InvestigationError,
    MediaGenerationError,
    ScenarioError,
)


class DemoLoadFailed(RuntimeError):
    """A step of the load was refused; the message names the scenario entry and the reason."""


@dataclass
class DemoWorld:
    scenario: Scenario
    investigation: Investigation
    accounts: dict[str, DemoAccount]
    incidents: dict[str, Incident] = field(default_factory=dict)
    evidence: dict[str, EvidenceItem] = field(default_factory=dict)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    interviews: dict[str, Interview] = field(default_factory=dict)
    casefiles: dict[str, CaseFile] = field(default_factory=dict)

    def user(self, key: str) -> User:
        return self.accounts[key].user


@contextmanager
def loading(what: str) -> Iterator[None]:
    """Turn a service's refusal into DemoLoadFailed naming `what` was being loaded."""
    try:
        yield
    except REFUSALS as exc:
        db.session.rollback()
        reason = str(exc) or getattr(exc, "message", None) or type(exc).__name__
        raise DemoLoadFailed(f"{what}: {reason}") from exc
