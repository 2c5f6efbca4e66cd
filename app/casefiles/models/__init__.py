"""Case-file models by concern: frameworks, case files and links, assessments, workflow, exports."""

from app.casefiles.models.assessments import (
    CREDIBILITY,
    RELIABILITY,
    Annotation,
    Assessment,
    Corroboration,
)
from app.casefiles.models.casefiles import (
    CaseFile,
    CaseItem,
    CaseStatus,
    ElementLink,
    ItemType,
    Stance,
    casefile_characterizations,
)
from app.casefiles.models.exports import CaseExport, Destination, FileChoice
from app.casefiles.models.frameworks import ElementKind, LegalCrime, LegalElement, LegalFramework
from app.casefiles.models.removals import RemovedCaseItem
from app.casefiles.models.workflow import Transition

__all__ = [
    "CREDIBILITY",
    "RELIABILITY",
    "Annotation",
    "Assessment",
    "CaseExport",
    "CaseFile",
    "CaseItem",
    "CaseStatus",
    "Corroboration",
    "Destination",
    "ElementKind",
    "ElementLink",
    "FileChoice",
    "ItemType",
    "LegalCrime",
    "LegalElement",
    "LegalFramework",
    "RemovedCaseItem",
    "Stance",
    "Transition",
    "casefile_characterizations",
]
