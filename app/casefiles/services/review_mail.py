"""The reviewers' email: a case file sent for review tells each lawyer who may approve it.

Sent only where the operator configured a mail server (CUSTOS_SMTP_HOST, config.py), through a
job (app/jobs) once the transition has committed, so a slow or unreachable server never holds
up or undoes the review; a failed send is a failed job, retried like any other. A mail crosses
servers nobody here controls, so it names nothing of the investigation: no case file title, no
reference, no investigation, no witness; it says that something waits and where to sign in,
and the home page (whose notice is awaiting_approval_by in workflow.py) says what. One mail per
reviewer, so no one learns who else reviews, in the reviewer's own interface language.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.casefiles.models import CaseFile, CaseStatus
from app.extensions import db
from app.investigations.models import Membership
from app.jobs.handle import JobFailed, JobHandle
from app.jobs.queue import enqueue

JOB_KIND = "casefile.reviewer_mail"
SMTP_TIMEOUT_SECONDS = 30


def mail_configured() -> bool:
    return bool(current_app.config.get("CUSTOS_SMTP_HOST"))


def queue_reviewer_mail(casefile: CaseFile, sender: User) -> None:
    """In the caller's transaction: mail the reviewers once it commits (if mail is set up)."""
    if mail_configured():
        enqueue(JOB_KIND, {"casefile_id": casefile.id}, sender)


def reviewers_of(casefile: CaseFile) -> list[User]:
    """Active lawyers of the investigation who may approve the file (four eyes: neither its
    author nor whoever sent it for review), in email order."""
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.investigation_id == casefile.investigation_id,
            User.role == "lawyer",
            User.active.is_(True),
            User.id != casefile.author_id,
        )
        .order_by(User.email)
    )
    return [user for user in db.session.scalars(stmt) if user.id != casefile.submitted_by_id]


def reviewer_message(user: User) -> EmailMessage:
    config = current_app.config
    with force_locale(user.language or "en"):
        subject = _("A case file waits for your review")
        body = _(
            "A case file in one of your investigations has been sent for review, and you are"
            " one of the lawyers who may approve it.\n\nSign in to see it on your home page:"
            " %(url)s\n\nThis message names nothing of the case on purpose.",
            url=config["CUSTOS_BASE_URL"].rstrip("/") + "/",
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["CUSTOS_MAIL_FROM"]
    message["To"] = user.email
    message.set_content(body)
    return message


def send_reviewer_mail(handle: JobHandle, payload: dict) -> None:
    """The job: one mail per reviewer, if the file is still in review when the job runs."""
    casefile = db.session.get(CaseFile, payload.get("casefile_id"))
    if casefile is None or casefile.status != CaseStatus.IN_REVIEW.value:
        return None
    messages = [reviewer_message(user) for user in reviewers_of(casefile)]
    if messages:
        _send(messages)
    handle.progress(100, f"{len(messages)} reviewer(s) told.", force=True)
    return None


def _send(messages: list[EmailMessage]) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(
            config["CUSTOS_SMTP_HOST"], config["CUSTOS_SMTP_PORT"], timeout=SMTP_TIMEOUT_SECONDS
        ) as smtp:
            if config["CUSTOS_SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("CUSTOS_SMTP_USERNAME"):
                smtp.login(config["CUSTOS_SMTP_USERNAME"], config["CUSTOS_SMTP_PASSWORD"])
            for message in messages:
                smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        # The server's answer, never the credentials: those are not in an SMTP exception.
        raise JobFailed(f"The mail server did not take the reviewers' mail ({exc}).") from exc
