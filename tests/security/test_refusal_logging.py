"""Refused access is logged (who, where, why) without what was asked for (ASVS V16.3.2)."""

from __future__ import annotations

import json
import logging

from app.request_logging import JsonFormatter
from tests.helpers.factories import InvestigationFactory


def refusal_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(r))
        for r in caplog.records
        if r.name == "custos.security" and r.getMessage() == "access refused"
    ]


def test_a_non_member_probing_another_investigation_is_logged_without_its_reference(
    app, app_ctx, make_user, signed_in, caplog
):
    caplog.set_level(logging.WARNING, logger="custos.security")
    secret = InvestigationFactory(reference="SECRET-REF-77")
    user = make_user(role="lawyer")
    client = signed_in(user)
    assert client.get(f"/investigations/{secret.reference}").status_code == 404
    (line,) = refusal_lines(caplog)
    assert line["reason"] == "not_a_member_or_missing" and line["status"] == 404
    assert line["user_id"] == user.id and line["path"] == "/investigations/<reference>"
    assert "SECRET-REF-77" not in caplog.text


def test_a_role_refusal_is_logged(app, app_ctx, make_user, signed_in, caplog):
    caplog.set_level(logging.WARNING, logger="custos.security")
    user = make_user(role="field")
    assert signed_in(user).get("/admin/users").status_code == 403
    (line,) = refusal_lines(caplog)
    assert line["reason"] == "role" and line["status"] == 403 and line["user_id"] == user.id


def test_members_reaching_their_own_content_log_no_refusal(
    app, app_ctx, make_user, signed_in, investigation, member, caplog
):
    caplog.set_level(logging.WARNING, logger="custos.security")
    user = make_user(role="lawyer")
    member(user, investigation)
    assert signed_in(user).get(f"/investigations/{investigation.reference}").status_code == 200
    assert refusal_lines(caplog) == []
