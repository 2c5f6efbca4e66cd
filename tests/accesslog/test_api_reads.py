"""Through the API too: reading an evidence record, a testimony or an identity is recorded, with
the reason the request states in X-Access-Reason."""

from __future__ import annotations

from sqlalchemy import select

from app.accesslog.models import AccessRecord
from app.extensions import db
from tests.accesslog.conftest import NAME
from tests.api.helpers import ApiClient, issue_token


def _api(app, user) -> ApiClient:
    return ApiClient(app.test_client(), issue_token(user, "read"))


def _records(**where) -> list[AccessRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(AccessRecord).filter_by(**where)))


def test_an_api_read_of_an_evidence_record_is_recorded_with_its_reason(app, reads):
    path = reads.url(f"/evidence/{reads.item.id}")
    response = _api(app, reads.lawyer).get(
        path, headers={"X-Access-Reason": "verification: checking%20the%20hash"}
    )
    assert response.status_code == 200
    (record,) = _records(kind="evidence", object_id=reads.item.id)
    assert (record.user_id, record.channel) == (reads.lawyer.id, "api")
    assert (record.reason_code, record.reason_text) == ("verification", "checking the hash")


def test_an_unreadable_reason_is_refused_before_anything_is_read(app, reads):
    path = reads.url(f"/evidence/{reads.item.id}")
    response = _api(app, reads.lawyer).get(path, headers={"X-Access-Reason": "curiosity"})
    assert response.status_code == 400 and response.get_json()["error"]["code"]
    assert _records() == []


def test_an_api_identity_read_needs_a_reason_and_is_recorded(app, reads):
    api = _api(app, reads.cleared)
    path = reads.url(f"/witnesses/{reads.witness.id}")
    assert NAME not in api.get(path).get_data(as_text=True)
    assert _records(kind="identity") == []
    named = api.get(path, headers={"X-Access-Reason": "witness_safety"})
    assert NAME in named.get_data(as_text=True)
    (record,) = _records(kind="identity")
    assert (record.channel, record.label) == ("api", reads.witness.code)


def test_an_api_testimony_read_is_recorded(app, reads):
    response = _api(app, reads.lawyer).get(reads.url(f"/interviews/{reads.interview.id}"))
    assert response.status_code == 200
    (record,) = _records(kind="testimony")
    assert record.channel == "api"
