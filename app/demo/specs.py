"""The demo scenario's typed records: accounts, incidents, media, witnesses, case files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any


class ScenarioError(ValueError):
    """The scenario file is inconsistent; the message names the entry and the problem."""


@dataclass(frozen=True)
class AccountSpec:
    key: str
    email: str
    name: str
    role: str
    member: bool
    may_see_identities: bool


@dataclass(frozen=True)
class IncidentSpec:
    key: str
    by: str
    date: date
    time: time | None
    certainty: str
    end_date: date | None
    place: str
    governorate: str
    lat: float
    lon: float
    precision_m: int
    weapon: str
    targets: tuple[str, ...]
    killed: int | None
    injured: int | None
    reported_by: str
    description: str

    @property
    def local_start(self) -> datetime:
        """When it began, local time; a day-only incident is placed at 10:00 for its media."""
        return datetime.combine(self.date, self.time or time(10, 0))


@dataclass(frozen=True)
class PhotoSpec:
    key: str
    by: str
    incident: str
    scene: str
    minutes_after: int


@dataclass(frozen=True)
class VideoSpec:
    key: str
    by: str
    incident: str
    minutes_after: int
    note: str


@dataclass(frozen=True)
class AudioSpec:
    key: str
    by: str
    recorded_at: datetime
    note: str


@dataclass(frozen=True)
class ConsentSpec:
    interview: bool
    legal_proceedings: bool
    un_sharing: bool
    publication: bool
    named: bool
    obtained_on: date
    language: str


@dataclass(frozen=True)
class WitnessSpec:
    key: str
    by: str
    name: str
    born: str
    contact: str
    location: str
    risk: str
    consent: ConsentSpec
    later_consent: ConsentSpec | None


@dataclass(frozen=True)
class InterviewSpec:
    key: str
    by: str
    witness: str
    conducted_on: date
    mode: str
    place: str
    languages: tuple[str, ...]
    interpreter: dict  # present, code, identity, from, to, read_back (a language code)
    first_hand: bool
    incidents: tuple[str, ...]
    attachments: tuple[str, ...]
    recording: str | None
    seal: bool
    transcript: str
    notes: str
    addendum: str
    # A sealed translation: {by, revised_by, from, to, text} (a lawyer translates, a second
    # person revises and seals it; docs/translations.md). Empty: none.
    translation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseSpec:
    key: str
    by: str
    issued_on: date
    filename: str
    text: str


@dataclass(frozen=True)
class LinkSpec:
    crime: str
    element: str
    stance: str
    note: str


@dataclass(frozen=True)
class GradeSpec:
    reliability: str
    credibility: int
    rationale: str


@dataclass(frozen=True)
class ItemSpec:
    item_type: str
    key: str
    links: tuple[LinkSpec, ...]
    grade: GradeSpec | None
    annotation: str

    @property
    def ref(self) -> str:
        return f"{self.item_type}:{self.key}"


@dataclass(frozen=True)
class CorroborationSpec:
    source: str  # item ref
    target: str
    note: str


@dataclass(frozen=True)
class CaseFileSpec:
    key: str
    author: str
    title: str
    legal_question: str
    crimes: tuple[str, ...]
    items: tuple[ItemSpec, ...]
    corroborations: tuple[CorroborationSpec, ...]
    send_for_review: str


@dataclass(frozen=True)
class PhoneSubmissionSpec:
    """An interview with photos sent from a phone over OpenRosa (docs/openrosa.md)."""

    key: str
    by: str
    witness: str
    incident: str
    conducted_on: date
    place: str
    language: str
    transcript: str
    photos: tuple[PhotoSpec, ...]


@dataclass(frozen=True)
class Scenario:
    reference: str
    title: str
    description: str
    perpetrator: str
    accounts: tuple[AccountSpec, ...]
    incidents: tuple[IncidentSpec, ...]
    photos: tuple[PhotoSpec, ...]
    videos: tuple[VideoSpec, ...]
    audio: tuple[AudioSpec, ...]
    witnesses: tuple[WitnessSpec, ...]
    interviews: tuple[InterviewSpec, ...]
    party_response: ResponseSpec
    casefiles: tuple[CaseFileSpec, ...]
    phone_submissions: tuple[PhoneSubmissionSpec, ...] = ()
    _index: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def emails(self) -> frozenset[str]:
        return frozenset(account.email for account in self.accounts)

    def incident(self, key: str) -> IncidentSpec:
        return self._index[f"incident:{key}"]

    def account(self, key: str) -> AccountSpec:
        return self._index[f"account:{key}"]
