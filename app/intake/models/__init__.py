"""Intake models, split by concern: taxonomy, incidents, witnesses (+ consent), interviews."""

from app.intake.models.incidents import (
    Incident,
    TimeCertainty,
    incident_targets,
)
from app.intake.models.interviews import (
    Addendum,
    EvidenceRole,
    Interview,
    InterviewEvidence,
    InterviewMode,
    InterviewStatus,
    interview_incidents,
)
from app.intake.models.regrants import ConsentRegrant, RegrantOutcome
from app.intake.models.taxonomy import TargetType, WeaponType
from app.intake.models.translations import Translation, TranslationMethod, TranslationStatus
from app.intake.models.witnesses import (
    ConsentKind,
    ConsentPurpose,
    ConsentRecord,
    RiskLevel,
    Witness,
)

__all__ = [
    "Addendum",
    "ConsentKind",
    "ConsentPurpose",
    "ConsentRecord",
    "ConsentRegrant",
    "EvidenceRole",
    "Incident",
    "Interview",
    "InterviewEvidence",
    "InterviewMode",
    "InterviewStatus",
    "RegrantOutcome",
    "RiskLevel",
    "TargetType",
    "TimeCertainty",
    "Translation",
    "TranslationMethod",
    "TranslationStatus",
    "WeaponType",
    "Witness",
    "incident_targets",
    "interview_incidents",
]

import app.intake.guards  # noqa: E402,F401  (the ORM guard is on whenever the models are)
