"""What each intake page shows: its template context, built from the viewer and plain values.

Routes parse the request and pick the template; these view-models decide what goes on the
page, always through the viewer (app/intake/visibility.py), so a page shows what its viewer
may see and nothing more.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accesslog.reasons import Reason
from app.accesslog.services import reads_of
from app.auth.models import User
from app.extensions import db
from app.intake.models import Incident, Witness
from app.intake.services import search, testimony_lists
from app.intake.services.evidence_links import incident_evidence
from app.intake.services.reads import record_identity_read
from app.intake.services.witnesses import identity_recorded
from app.intake.views import witness_view
from app.intake.visibility import (
    may_edit_incident,
    may_edit_witness,
    may_record_consent,
    visible_incidents,
    visible_witnesses,
)
from app.intake.when import incident_when
from app.investigations.models import Membership
from app.investigations.viewer import InvestigationViewer
from app.language_codes import choices
from app.security.org_keys import intake_only
from app.vault.incident_links import SHOWS_LABELS


def _areas_and_perpetrators(opened: search.OpenedIncidents) -> dict[str, Any]:
    return {
        "known_areas": opened.known_areas(),
        "known_perpetrators": opened.known_perpetrators(),
    }


def incident_list(
    viewer: InvestigationViewer, form, query: dict[str, str], page: int
) -> dict[str, Any]:
    opened = search.open_incidents(viewer)
    return {
        "investigation": viewer.investigation,
        "filter_form": form,
        "query": query,
        "page": search.search_incidents(viewer, form.to_filters(), page, opened=opened),
        **_areas_and_perpetrators(opened),
    }


def incident_map(
    viewer: InvestigationViewer, form, query: dict[str, str], config
) -> dict[str, Any]:
    return {
        "investigation": viewer.investigation,
        "filter_form": form,
        "query": query,
        "tiles_url": config["CUSTOS_MAP_TILES_URL"],
        "tiles_attribution": config["CUSTOS_MAP_TILES_ATTRIBUTION"],
        **_areas_and_perpetrators(search.open_incidents(viewer)),
    }


def incident_timeline(viewer: InvestigationViewer, form) -> dict[str, Any]:
    opened = search.open_incidents(viewer)
    months, truncated = search.incident_timeline(viewer, form.to_filters(), opened=opened)
    return {
        "investigation": viewer.investigation,
        "filter_form": form,
        "months": months,
        "truncated": truncated,
        "limit": search.TIMELINE_LIMIT,
        **_areas_and_perpetrators(opened),
    }


def incident_detail(viewer: InvestigationViewer, record) -> dict[str, Any]:
    return {
        "investigation": viewer.investigation,
        "incident": record,
        "interviews": testimony_lists.list_interviews(viewer, incident_id=record.id),
        "evidence": incident_evidence(viewer, record),
        "shows_labels": SHOWS_LABELS,
        "may_edit": may_edit_incident(viewer, record),
    }


def witness_list(viewer: InvestigationViewer, q: str, risk: str, page: int) -> dict[str, Any]:
    return {
        "investigation": viewer.investigation,
        "page": testimony_lists.list_witnesses(viewer, q=q, risk_level=risk, page=page),
        "q": q,
        "risk": risk,
        "query": {name: value for name, value in (("q", q), ("risk", risk)) if value},
        "identities_visible": False,  # a list names no one (testimony_lists.list_witnesses)
    }


def witness_detail(viewer: InvestigationViewer, record, revealed: bool = False) -> dict[str, Any]:
    """The witness page; the identity only once revealed with a stated reason (recorded)."""
    return {
        "investigation": viewer.investigation,
        "witness": witness_view(record, viewer.membership if revealed else None),
        "may_reveal": viewer.may_see_identities and not revealed,
        "access_reads": reads_of(viewer, "witness", record.id),
        "interviews": testimony_lists.list_interviews(viewer, witness_id=record.id),
        "may_edit": may_edit_witness(viewer, record),
        "may_record_consent": may_record_consent(viewer, record),
    }


def witness_edit(viewer: InvestigationViewer, record) -> dict[str, Any]:
    """The edit page; identity values only for a viewer who may see identities.

    Showing them to correct the record is a read of the identity: it is recorded as such.
    """
    view = witness_view(record, viewer.membership)
    if viewer.may_see_identities:
        record_identity_read(viewer, record, Reason("record_correction"))
    return {
        "investigation": viewer.investigation,
        "witness": view,
        "identities_visible": viewer.may_see_identities,
        "recorded": identity_recorded(record),
        "identity_values": view["identity"] if viewer.may_see_identities else None,
    }


def interview_list(viewer: InvestigationViewer, status: str, page: int) -> dict[str, Any]:
    return {
        "investigation": viewer.investigation,
        "page": testimony_lists.list_interviews(viewer, status=status, page=page),
        "status": status,
        "query": {"status": status} if status else {},
    }


def member_choices(viewer: InvestigationViewer) -> list[tuple[str, str]]:
    """The investigation's members as (id, "name (email)"): who took consent or interviewed."""
    members = db.session.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.investigation_id == viewer.investigation.id)
        .order_by(User.name)
    )
    return [(user_id, f"{name} ({email})") for user_id, name, email in members]


def interview_choices(viewer: InvestigationViewer, user: Any) -> dict[str, list[tuple[str, str]]]:
    """What an interview form offers: visible witnesses and incidents, and who may interview."""
    witnesses = db.session.execute(
        visible_witnesses(select(Witness.id, Witness.code), viewer).order_by(Witness.number.desc())
    )
    # An intake node's database role may not read places back (app/security/intake_role.py):
    # there an incident is offered by its date and the start of its id; elsewhere by its time
    # as it was entered and its place.
    if intake_only():
        rows = db.session.execute(
            visible_incidents(select(Incident.id, Incident.occurred_from), viewer).order_by(
                Incident.occurred_from.desc()
            )
        )
        incidents = [(i, f"{when:%Y-%m-%d} — {i[:8]}") for i, when in rows]
    else:
        rows = db.session.scalars(
            visible_incidents(select(Incident), viewer)
            .options(search.LABEL_LOAD)
            .order_by(Incident.occurred_from.desc())
        )
        incidents = [(i.id, f"{incident_when(i)} — {i.place_name}") for i in rows]
    return {
        "witness_id": [("", _("— choose —"))] + [(i, code) for i, code in witnesses],
        "interviewer_id": member_choices(viewer)
        if viewer.sees_all
        else [(user.id, f"{user.name} ({user.email})")],
        "incident_ids": incidents,
        **language_choices(),
        # Any member may have interpreted; naming one gives them nothing to read.
        "interpreter_user_id": [("", _("— none —"))] + member_choices(viewer),
    }


def language_choices() -> dict[str, list[tuple[str, str]]]:
    """The language fields of the interview form, labelled in the reader's language."""
    return {"languages": list(choices(str(get_locale() or "en")))}
