"""The demo scenario (data/situation.yaml) read into typed records, its cross-references checked."""

from __future__ import annotations

import functools
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from app.demo.specs import (
    AccountSpec,
    AudioSpec,
    CaseFileSpec,
    ConsentSpec,
    CorroborationSpec,
    GradeSpec,
    IncidentSpec,
    InterviewSpec,
    ItemSpec,
    LinkSpec,
    PhoneSubmissionSpec,
    PhotoSpec,
    ResponseSpec,
    Scenario,
    ScenarioError,
    VideoSpec,
    WitnessSpec,
)

SCENARIO_FILE = Path(__file__).resolve().parent / "data" / "situation.yaml"
ITEM_TYPES = ("incident", "interview", "evidence")


@functools.cache
def load_scenario(path: Path = SCENARIO_FILE) -> Scenario:
    """The scenario, parsed and checked once per process."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenario = _build(data)
    _check(scenario)
    return scenario


# --- Parsing --------------------------------------------------------------------------------


def _build(data: dict) -> Scenario:
    media = data.get("media") or {}
    try:
        return Scenario(
            reference=data["investigation"]["reference"],
            title=data["investigation"]["title"],
            description=data["investigation"]["description"].strip(),
            perpetrator=data["perpetrator"],
            accounts=tuple(_account(a) for a in data["accounts"]),
            incidents=tuple(_incident(i) for i in data["incidents"]),
            photos=tuple(PhotoSpec(**p) for p in media.get("photos", [])),
            videos=tuple(VideoSpec(**v) for v in media.get("videos", [])),
            audio=tuple(AudioSpec(**a) for a in media.get("audio", [])),
            witnesses=tuple(_witness(w) for w in data["witnesses"]),
            interviews=tuple(_interview(i) for i in data["interviews"]),
            party_response=ResponseSpec(**data["party_response"]),
            casefiles=tuple(_casefile(c) for c in data["casefiles"]),
            phone_submissions=tuple(_phone(p) for p in data.get("phone_submissions", [])),
        )
    except (KeyError, TypeError) as exc:
        raise ScenarioError(f"{SCENARIO_FILE.name}: missing or unexpected field {exc}") from None


def _phone(raw: dict) -> PhoneSubmissionSpec:
    photos = tuple(
        PhotoSpec(by=raw["by"], incident=raw["incident"], **photo) for photo in raw["photos"]
    )
    fields = {k: v for k, v in raw.items() if k not in ("photos", "transcript")}
    return PhoneSubmissionSpec(**fields, transcript=raw["transcript"].strip(), photos=photos)


def _account(raw: dict) -> AccountSpec:
    return AccountSpec(
        key=raw["key"],
        email=raw["email"],
        name=raw["name"],
        role=raw["role"],
        member=bool(raw.get("member", False)),
        may_see_identities=bool(raw.get("may_see_identities", False)),
    )


def _incident(raw: dict) -> IncidentSpec:
    at = raw.get("time")
    return IncidentSpec(
        key=raw["key"],
        by=raw["by"],
        date=raw["date"],
        time=time.fromisoformat(at) if at else None,
        certainty=raw["certainty"],
        end_date=raw.get("end_date"),
        place=raw["place"],
        governorate=raw["governorate"],
        lat=float(raw["lat"]),
        lon=float(raw["lon"]),
        precision_m=int(raw["precision_m"]),
        weapon=raw["weapon"],
        targets=tuple(raw["targets"]),
        killed=raw.get("killed"),
        injured=raw.get("injured"),
        reported_by=raw.get("reported_by", ""),
        description=raw["description"].strip(),
    )


def _consent(raw: dict | None) -> ConsentSpec | None:
    return ConsentSpec(**raw) if raw else None


def _witness(raw: dict) -> WitnessSpec:
    return WitnessSpec(
        key=raw["key"],
        by=raw["by"],
        name=raw["name"],
        born=str(raw["born"]),
        contact=raw["contact"],
        location=raw["location"],
        risk=raw["risk"],
        consent=_consent(raw["consent"]),
        later_consent=_consent(raw.get("later_consent")),
    )


def _interview(raw: dict) -> InterviewSpec:
    return InterviewSpec(
        key=raw["key"],
        by=raw["by"],
        witness=raw["witness"],
        conducted_on=raw["conducted_on"],
        mode=raw["mode"],
        place=raw.get("place", ""),
        languages=tuple(raw.get("languages", [])),
        interpreter=dict(raw.get("interpreter") or {}),
        first_hand=bool(raw["first_hand"]),
        incidents=tuple(raw.get("incidents", [])),
        attachments=tuple(raw.get("attachments", [])),
        recording=raw.get("recording"),
        seal=bool(raw["seal"]),
        transcript=raw["transcript"].strip(),
        notes=raw.get("notes", ""),
        addendum=(raw.get("addendum") or "").strip(),
        translation=dict(raw.get("translation") or {}),
    )


def _item(raw: dict) -> ItemSpec:
    item_type, _, key = raw["ref"].partition(":")
    grade = raw.get("grade")
    return ItemSpec(
        item_type=item_type,
        key=key,
        links=tuple(
            LinkSpec(l["crime"], str(l["element"]), l["stance"], l.get("note", ""))
            for l in raw.get("links", [])  # noqa: E741
        ),
        grade=GradeSpec(**grade) if grade else None,
        annotation=(raw.get("annotation") or "").strip(),
    )


def _casefile(raw: dict) -> CaseFileSpec:
    return CaseFileSpec(
        key=raw["key"],
        author=raw["author"],
        title=raw["title"],
        legal_question=raw["legal_question"].strip(),
        crimes=tuple(raw["crimes"]),
        items=tuple(_item(i) for i in raw["items"]),
        corroborations=tuple(
            CorroborationSpec(c["from"], c["to"], c.get("note", ""))
            for c in raw.get("corroborations", [])
        ),
        send_for_review=(raw.get("send_for_review") or "").strip(),
    )


# --- Cross-references -----------------------------------------------------------------------


def _check(scenario: Scenario) -> None:
    """Every key unique, every reference resolvable, so a typo fails here, not mid-load."""
    index = scenario._index

    def add(kind: str, key: str, value: Any) -> None:
        name = f"{kind}:{key}"
        if name in index:
            raise ScenarioError(f"duplicate {kind} key {key!r}")
        index[name] = value

    for account in scenario.accounts:
        add("account", account.key, account)
    for incident in scenario.incidents:
        add("incident", incident.key, incident)
    for spec in (*scenario.photos, *scenario.videos, *scenario.audio, scenario.party_response):
        add("evidence", spec.key, spec)
    for witness in scenario.witnesses:
        add("witness", witness.key, witness)
    for interview in scenario.interviews:
        add("interview", interview.key, interview)
    for phone in scenario.phone_submissions:
        add("interview", phone.key, phone)
        for photo in phone.photos:
            add("evidence", photo.key, photo)

    def need(kind: str, key: str, where: str) -> Any:
        if f"{kind}:{key}" not in index:
            raise ScenarioError(f"{where} refers to an unknown {kind} {key!r}")
        return index[f"{kind}:{key}"]

    members = {a.key for a in scenario.accounts if a.member}
    for spec in (*scenario.incidents, *scenario.witnesses, *scenario.interviews):
        if spec.by not in members:
            raise ScenarioError(f"{spec.key} is recorded by {spec.by!r}, who is not a member")
    for spec in (*scenario.photos, *scenario.videos):
        need("incident", spec.incident, spec.key)
    for phone in scenario.phone_submissions:
        need("incident", phone.incident, phone.key)
        if need("witness", phone.witness, phone.key).by != phone.by:
            raise ScenarioError(f"{phone.key}: a phone offers only its user's own witnesses")
    for interview in scenario.interviews:
        witness = need("witness", interview.witness, interview.key)
        if witness.by != interview.by:
            raise ScenarioError(f"{interview.key}: field staff interview their own witnesses")
        for key in interview.incidents:
            need("incident", key, interview.key)
        for key in (*interview.attachments, *filter(None, [interview.recording])):
            media = need("evidence", key, interview.key)
            if media.by != interview.by:
                raise ScenarioError(f"{interview.key}: {key} is not its interviewer's upload")
        translation = interview.translation
        if translation:
            need("account", translation["by"], interview.key)
            need("account", translation["revised_by"], interview.key)
            if not interview.seal or translation["by"] == translation["revised_by"]:
                raise ScenarioError(
                    f"{interview.key}: a translation is of sealed testimony, sealed by a second"
                    " person"
                )
    for casefile in scenario.casefiles:
        need("account", casefile.author, casefile.key)
        refs = set()
        for item in casefile.items:
            if item.item_type not in ITEM_TYPES:
                raise ScenarioError(f"{casefile.key}: bad item reference {item.ref!r}")
            need(item.item_type, item.key, casefile.key)
            refs.add(item.ref)
            for link in item.links:
                if link.crime not in casefile.crimes:
                    raise ScenarioError(f"{casefile.key}: {item.ref} links to {link.crime}")
        for corroboration in casefile.corroborations:
            if not {corroboration.source, corroboration.target} <= refs:
                raise ScenarioError(f"{casefile.key}: corroboration outside the case file")
