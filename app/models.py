"""Imports every package's models so the metadata (and Alembic) sees the whole schema."""

from app.accesslog.models import AccessRecord
from app.acquisition.models import AcquisitionRecord
from app.admin.approvals.models import ApprovalRequest
from app.api.tokens.models import ApiToken
from app.audit.models import AuditEvent
from app.auth.models import RecoveryCode, SetPasswordToken, User
from app.casefiles.models import (
    Annotation,
    Assessment,
    CaseExport,
    CaseFile,
    CaseItem,
    Corroboration,
    ElementLink,
    LegalCrime,
    LegalElement,
    LegalFramework,
    Transition,
)
from app.consistency.models import ConsistencyCheck
from app.custody.models import Checkpoint, FixitySweep, LedgerEntry, LedgerHead
from app.custody.signer_keys import CustodySigner
from app.drafts.models import Draft
from app.duplicates.models import (
    EvidenceLink,
    FingerprintFrame,
    MediaFingerprint,
    PdqIndexEntry,
)
from app.intake.models import (
    Addendum,
    ConsentRecord,
    Incident,
    Interview,
    InterviewEvidence,
    TargetType,
    Translation,
    WeaponType,
    Witness,
)
from app.investigations.models import Investigation, Membership
from app.jobs.models import Job
from app.openrosa.models import DeviceCredential, OpenRosaAttachment, OpenRosaSubmission
from app.openrosa.sealed_models import SealedFile, SealedSubmission
from app.provenance.models import ProofModeKey, ProvenanceCheck, WaczKey
from app.retention.models import EvidenceTombstone, LegalHold, RetentionRequest
from app.vault.incident_links import IncidentEvidence
from app.vault.models import Derivative, EvidenceItem, UploadSession
from app.vocabulary.models import VocabularyLabel
from app.webcapture.models import WebCaptureCheck

__all__ = [
    "VocabularyLabel",
    "DeviceCredential",
    "OpenRosaAttachment",
    "OpenRosaSubmission",
    "SealedFile",
    "SealedSubmission",
    "EvidenceTombstone",
    "IncidentEvidence",
    "LegalHold",
    "RetentionRequest",
    "AccessRecord",
    "ApiToken",
    "ApprovalRequest",
    "Annotation",
    "Assessment",
    "CaseExport",
    "CustodySigner",
    "CaseFile",
    "CaseItem",
    "ConsistencyCheck",
    "WebCaptureCheck",
    "ProvenanceCheck",
    "ProofModeKey",
    "WaczKey",
    "AcquisitionRecord",
    "EvidenceLink",
    "FingerprintFrame",
    "MediaFingerprint",
    "PdqIndexEntry",
    "Corroboration",
    "ElementLink",
    "Job",
    "LegalCrime",
    "LegalElement",
    "LegalFramework",
    "Transition",
    "Addendum",
    "ConsentRecord",
    "Incident",
    "Interview",
    "InterviewEvidence",
    "TargetType",
    "Translation",
    "WeaponType",
    "Witness",
    "AuditEvent",
    "Checkpoint",
    "Derivative",
    "Draft",
    "EvidenceItem",
    "FixitySweep",
    "LedgerEntry",
    "LedgerHead",
    "UploadSession",
    "Investigation",
    "Membership",
    "RecoveryCode",
    "SetPasswordToken",
    "User",
]
