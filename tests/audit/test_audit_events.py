"""The security audit log: what an event records, that it commits with its change, the filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.services import AuditFilter, audit_query, record_event
from app.extensions import db
from app.timeutil import utcnow


def test_an_event_names_actor_and_target_and_commits_with_the_change(make_user):
    admin = make_user(role="admin")
    subject = make_user(role="field")
    record_event("user.role_changed", actor=admin, target=subject, details={"to": "lawyer"})
    db.session.rollback()  # the change it describes did not happen: neither did the event
    assert db.session.scalars(select(AuditEvent)).all() == []

    record_event("user.role_changed", actor=admin, target=subject, details={"to": "lawyer"})
    db.session.commit()
    row = db.session.scalars(select(AuditEvent)).one()
    assert (row.event, row.actor_email, row.target_type, row.target_id) == (
        "user.role_changed",
        admin.email,
        "user",
        str(subject.id),
    )
    assert row.details == {"to": "lawyer"}


def test_an_event_that_is_not_in_the_list_is_refused(make_user):
    with pytest.raises(ValueError, match="unknown audit event"):
        record_event("user.renamed", actor=make_user(role="admin"))


def test_the_filters_narrow_by_event_actor_and_time(make_user):
    admin, other = make_user(role="admin"), make_user(role="admin")
    record_event("logout", actor=admin)
    record_event("login.success", actor=admin)
    record_event("login.success", actor=other)
    db.session.commit()

    def events(**filters):
        return [
            (e.event, e.actor_email)
            for e in db.session.scalars(audit_query(AuditFilter(**filters)))
        ]

    assert sorted(events(event="login.success")) == sorted(
        [("login.success", admin.email), ("login.success", other.email)]
    )
    assert sorted(events(actor_email=f"  {admin.email.upper()} ")) == sorted(
        [("logout", admin.email), ("login.success", admin.email)]
    )
    assert events(since=utcnow() + timedelta(days=1)) == []
