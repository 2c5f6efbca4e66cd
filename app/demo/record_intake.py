"""Demo incidents, witnesses with consent, and interviews, recorded through the intake services.

Each record is made by the member the scenario names (`by`), with the same checks a form
submission gets: field staff register their own witnesses and interview them, attach their
own uploads, and seal their own testimony (custody entry testimony_sealed).
"""

from __future__ import annotations

from app.demo.specs import ConsentSpec, IncidentSpec, InterviewSpec
from app.demo.world import DemoWorld, loading
from app.extensions import db
from app.intake.services.consent import ConsentInput, record_consent
from app.intake.services.incidents import IncidentInput, create_incident
from app.intake.services.interviews import InterviewInput, create_interview, link_evidence
from app.intake.services.sealing import add_addendum, seal_testimony
from app.intake.services.translation_sealing import seal_translation
from app.intake.services.translations import (
    TranslationInput,
    TranslationSource,
    start_translation,
)
from app.intake.services.witnesses import WitnessInput, register_witness


def incident_input(spec: IncidentSpec, perpetrator: str) -> IncidentInput:
    return IncidentInput(
        time_certainty=spec.certainty,
        start_date=spec.date,
        start_time=spec.time,
        end_date=spec.end_date,
        place_name=spec.place,
        admin_area=spec.governorate,
        latitude=spec.lat,
        longitude=spec.lon,
        precision_m=spec.precision_m,
        perpetrators=[perpetrator],
        weapon_code=spec.weapon,
        target_codes=list(spec.targets),
        killed=spec.killed,
        injured=spec.injured,
        casualties_reported_by=spec.reported_by,
        description=spec.description,
    )


def record_incidents(world: DemoWorld) -> None:
    for spec in world.scenario.incidents:
        with loading(f"incident {spec.key}"):
            world.incidents[spec.key] = create_incident(
                world.investigation,
                world.user(spec.by),
                incident_input(spec, world.scenario.perpetrator),
            )
    db.session.commit()


def consent_input(spec: ConsentSpec) -> ConsentInput:
    return ConsentInput(
        interview=spec.interview,
        legal_proceedings=spec.legal_proceedings,
        un_sharing=spec.un_sharing,
        publication=spec.publication,
        named=spec.named,
        obtained_on=spec.obtained_on,
        language=spec.language,
    )


def record_witnesses(world: DemoWorld) -> None:
    for spec in world.scenario.witnesses:
        user = world.user(spec.by)
        with loading(f"witness {spec.key}"):
            identity = WitnessInput(
                risk_level=spec.risk,
                full_name=spec.name,
                date_of_birth=spec.born,
                contact=spec.contact,
                current_location=spec.location,
            )
            witness = register_witness(
                world.investigation, user, identity, consent_input(spec.consent)
            )
            if spec.later_consent is not None:
                record_consent(witness, user, consent_input(spec.later_consent))
            world.witnesses[spec.key] = witness
    db.session.commit()


def _interpreter_input(spec: InterviewSpec) -> dict:
    """The scenario's languages and interpreter as InterviewInput fields."""
    interpreter = spec.interpreter
    read_back = interpreter.get("read_back") or ""
    return {
        "languages": list(spec.languages),
        "interpreter_present": interpreter.get("present"),
        "interpreter_code": interpreter.get("code") or "",
        "interpreter": interpreter.get("identity") or "",
        "interpreted_from": interpreter.get("from") or "",
        "interpreted_to": interpreter.get("to") or "",
        "read_back": True if read_back else None,
        "read_back_language": read_back,
    }


def record_interviews(world: DemoWorld) -> None:
    for spec in world.scenario.interviews:
        user = world.user(spec.by)
        with loading(f"interview {spec.key}"):
            interview = create_interview(
                world.investigation,
                user,
                InterviewInput(
                    witness_id=world.witnesses[spec.witness].id,
                    conducted_on=spec.conducted_on,
                    mode=spec.mode,
                    first_hand=spec.first_hand,
                    place=spec.place,
                    **_interpreter_input(spec),
                    incident_ids=[world.incidents[key].id for key in spec.incidents],
                    transcript=spec.transcript,
                    notes=spec.notes,
                ),
            )
            if spec.recording:
                link_evidence(interview, user, world.evidence[spec.recording].id, "recording")
            for key in spec.attachments:
                link_evidence(interview, user, world.evidence[key].id, "attachment")
            if spec.seal:
                seal_testimony(interview, user)
            if spec.addendum:
                add_addendum(interview, user, spec.addendum)
            if spec.translation:
                record_translation(world, interview, spec.translation)
            world.interviews[spec.key] = interview
        db.session.commit()


def record_translation(world: DemoWorld, interview, spec: dict) -> None:
    """A sealed translation of the testimony: one person translates, a second seals it."""
    translation = start_translation(
        interview,
        world.user(spec["by"]),
        TranslationSource("testimony", interview.content_hash),
        TranslationInput(
            source_language=spec["from"], target_language=spec["to"], text=spec["text"]
        ),
    )
    seal_translation(translation, interview, world.user(spec["revised_by"]))
