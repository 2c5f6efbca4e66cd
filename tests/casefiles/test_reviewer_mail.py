"""The reviewers' mail (issue 18, item 9): where a mail server is configured, sending a case file
for review mails each lawyer who may approve it, through a real SMTP conversation with a local
server (aiosmtpd on 127.0.0.1, no network); the mail names nothing of the case."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.casefiles.services.review_mail import JOB_KIND
from app.casefiles.services.workflow import transition
from app.extensions import db
from app.jobs.models import Job
from tests.helpers.factories import MembershipFactory, UserFactory


class Inbox:
    """aiosmtpd's handler: every message the server accepted, as (envelope to, text)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        text = f"Subject: {message['Subject']}\n{message.get_content()}"
        self.received.append((list(envelope.rcpt_tos), text))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_server(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_PORT", controller.port)
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_STARTTLS", False)  # a local test server
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "inline")
    try:
        yield inbox
    finally:
        controller.stop()


def send_for_review(world) -> None:
    transition(world.investigation, world.casefile, world.author, "in_review", "Ready.")
    db.session.commit()


def test_each_lawyer_who_may_approve_gets_one_mail_naming_nothing_of_the_case(
    app, built_case, mail_server
):
    world = built_case
    third = UserFactory(role="lawyer", email="third@example.org", language="ar")
    MembershipFactory(user=third, investigation=world.investigation)
    db.session.commit()
    send_for_review(world)
    assert sorted(to for to, _ in mail_server.received) == [
        ["reviewer@example.org"],
        ["third@example.org"],
    ]
    for _to, text in mail_server.received:
        assert "http://127.0.0.1:5000/" in text or "/" in text
        for secret in (
            world.casefile.title,
            world.casefile.reference,
            world.investigation.reference,
        ):
            assert secret not in text
    english = next(text for to, text in mail_server.received if to == ["reviewer@example.org"])
    assert "Subject: A case file waits for your review" in english
    arabic = next(text for to, text in mail_server.received if to == ["third@example.org"])
    assert "A case file" not in arabic  # in the reviewer's own language


def test_the_author_and_lawyers_of_other_investigations_get_no_mail(built_case, mail_server):
    world = built_case
    send_for_review(world)
    told = {to[0] for to, _ in mail_server.received}
    assert world.author.email not in told
    assert told == {world.reviewer.email}


def test_without_a_mail_server_no_mail_is_queued(built_case, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_HOST", "")
    send_for_review(built_case)
    assert db.session.scalars(select(Job).where(Job.kind == JOB_KIND)).all() == []


def test_an_unreachable_mail_server_fails_the_job_not_the_review(built_case, app, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "CUSTOS_SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "CUSTOS_JOB_BACKEND", "inline")
    send_for_review(built_case)
    db.session.expire_all()
    assert built_case.casefile.status == "in_review"
    job = db.session.scalars(select(Job).where(Job.kind == JOB_KIND)).one()
    assert job.state == "failed" and "mail server" in job.message


def test_a_mail_login_without_starttls_is_refused_at_start(monkeypatch):
    from config import Config, ConfigurationError

    monkeypatch.setenv("CUSTOS_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("CUSTOS_SMTP_USERNAME", "custos")
    monkeypatch.setenv("CUSTOS_SMTP_STARTTLS", "false")
    with pytest.raises(ConfigurationError, match="in the clear"):
        Config()


def test_an_address_carrying_a_header_cannot_add_one_to_the_mail(app, mail_server):
    """ASVS V1.3.11: the address is the only stored value the mail carries; one that smuggles a
    second header line (stored past the account form's own check) is refused, never sent."""
    from app.casefiles.services.review_mail import reviewer_message

    with app.test_request_context():
        lawyer = UserFactory(role="lawyer")
        lawyer.email = "lawyer@example.org\r\nBcc: someone@elsewhere.example"
        with pytest.raises(ValueError, match="linefeed or carriage return"):
            reviewer_message(lawyer)
    assert mail_server.received == []
