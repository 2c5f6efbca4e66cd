"""Hostile input in every field of every form the web app renders: a clear 4xx, nothing stored.

The forms are found as a browser finds them: every page of the URL map is fetched, as each
kind of person (the field worker who owns the records, a lawyer, an administrator, and
someone not signed in), and every <form> on it is read (its action, method and field names).
Every POST route must have such a form or be listed below as taking no input; every WTForms
form class of the app must be rendered somewhere. Then each form is sent, with a valid CSRF
token, first with every field set to each of a few classic hostile values, then with
hypothesis' choice of fields and values (NUL bytes, invalid UTF-8, overlong text, numbers and
dates out of any range, repeated values). No answer may be a 5xx or show a stack trace; a
refusal (4xx) must say why on the page and leave every table as it was.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import re
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound

import app as app_package
from app.auth.gate import PUBLIC_ENDPOINTS
from tests.helpers.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.helpers.web import csrf_token, page_messages, post_form, sign_in
from tests.security.row_counts import row_counts
from tests.test_route_matrix import URL_RULES, World

EXAMPLES = 10
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# Sent in every field at once, before hypothesis picks its own.
CLASSIC = ["\x00", "\ud800", "9" * 400, "9999-12-31", "0000-00-00", "x" * 5000]
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "a\x00b",
            "\r\n\x0b\x1b",
            "\u202e\ufeff\u200b",
            "\U0001f4a9" * 30,
            "\udfff",
            "99999-01-01",
            "2016-02-30",
            "25:61",
            "NaN",
            "-0",
            "2" * 30,
            "../../etc/passwd",
            "%00",
            "x" * 70_000,
            "-1e309",
            "<script>alert(1)</script>' OR '1'='1",
        ]
    ),
    st.sampled_from(CLASSIC),
    st.text(max_size=30),
)
VALUES = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3))

# POST routes whose forms carry nothing but the CSRF token (a confirming button): there is no
# field to fuzz; tests/test_csrf.py covers their token and tests/test_route_matrix.py their
# access. tus_create takes the tus protocol's headers, not a form (tests/vault); drafts.keep takes
# the JSON that static/js/drafts.js posts; tests/drafts checks what it refuses and drops.
NO_FIELDS = frozenset(
    {
        "admin.approve_request",
        "admin.refuse_request",
        "admin.deactivate",
        "admin.reactivate",
        "admin.reinvite",
        "admin.reset_2fa",
        "admin.unlock",
        "admin.revoke_member",
        "admin.close_investigation",
        "admin.reopen_investigation",
        "auth.logout",
        "casefiles.remove",
        "casefiles.restore",
        "casefiles.unlink_element",
        "intake.unlink_evidence_incident",
        "casefiles.export_retry",
        "admin.framework_detail",
        "admin.sign_out_everywhere",
        "vault.tus_create",
        "drafts.keep",
        "retention.approve",
        "retention.refuse",
        "consistency.consistency_recheck",
        "provenance.provenance_recheck",
        "provenance.proofmode_key_pin",
        "provenance.wacz_key_pin",
        "provenance.wacz_key_unpin",
    }
)
# Fields the pages of this World do not show, fuzzed all the same: the ledger's page number
# travels in the pager's links; witnesses to name appear only once one consented to it; the
# confirmation of approving with gaps appears only on a file in review (tests/casefiles); the
# confirmation that a new incident differs from those like it, only when there are some
# (tests/intake/test_similar_incidents.py).
NOT_SHOWN_HERE = {
    "GET custody.ledger": {"page"},
    "POST intake.new_incident": {"not_a_duplicate"},
    "POST casefiles.export": {"named_witnesses"},
    "POST casefiles.transition": {"confirm_unsupported"},
}
# Routes fuzzed as someone not signed in (they are the way in).
ANONYMOUS = frozenset({"auth.login", "auth.set_password"})


def one_page_pdf() -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(595, 842).close()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def one_second_mp4() -> bytes:
    from tests.helpers.media import make_mp4

    with tempfile.TemporaryDirectory() as folder:
        return make_mp4(Path(folder), seconds=1.0, size="64x48")


class FormReader(HTMLParser):
    """Every <form> of a page: (method, action, field names)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str | None, set[str]]] = []
        self._current: tuple[str, str | None, set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = ((attrs.get("method") or "get").upper(), attrs.get("action"), set())
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea", "button") and self._current:
            if attrs.get("name"):  # named submit buttons are sent too
                self._current[2].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


@dataclass
class FoundForm:
    persona: str
    url: str
    method: str
    fields: set[str] = field(default_factory=set)


class Site:
    """A World, a person of each kind in it, and every form their pages show."""

    def __init__(self, app):
        self.app = app
        self.world = World()
        self.users = {"owner": self.world.subject}
        for kind, role in (("lawyer", "lawyer"), ("admin", "admin")):
            user = UserFactory(role=role)
            MembershipFactory(
                user=user, investigation=self.world.investigation, may_see_identities=True
            )
            self.users[kind] = user
        self._add_records_that_bring_more_forms()
        self.clients = {"anonymous": app.test_client()}
        for kind, user in self.users.items():
            self.clients[kind] = app.test_client()
            sign_in(self.clients[kind], user)
        # Half-way through signing in (password given), for the second-factor form.
        self.clients["pending"] = app.test_client()
        halfway = post_form(
            self.clients["pending"],
            "/auth/login",
            {"email": UserFactory(role="lawyer").email, "password": DEFAULT_PASSWORD},
        )
        assert halfway.headers["Location"].startswith("/auth/2fa")
        self.adapter = app.url_map.bind("localhost")
        self.forms: dict[str, FoundForm] = {}
        self.tokens: dict[str, str] = {}
        self._crawl()

    def _add_records_that_bring_more_forms(self) -> None:
        """A linked evidence item (unlink), a sealed interview (addenda), one whose language
        is to fix (its codes), an API token (revoke),
        a second browser signed in (ending other sessions), a custody alarm (acknowledge) and a
        PDF and a video in the case file (their redaction forms)."""
        from app.casefiles.services import casefiles
        from app.custody.alarms import raise_alarm
        from app.duplicates.models import EvidenceLink, LinkKind, LinkStatus
        from app.extensions import db
        from app.intake.services.interviews import link_evidence
        from app.intake.services.sealing import seal_testimony
        from app.intake.services.translations import (
            TranslationInput,
            TranslationSource,
            start_translation,
        )
        from app.investigations.viewer import viewer_of
        from app.openrosa.devices import issue_device
        from app.retention.holds import request_release
        from tests.api.helpers import issue_token
        from tests.helpers.media import make_photo_evidence
        from tests.intake.builders import evidence_row, make_interview, make_witness

        world, owner = self.world, self.world.subject
        link_evidence(world.interview, owner, world.evidence.id, "attachment")
        evidence_row(world.investigation, owner)  # one left to link
        # A near-duplicate suggestion awaiting a reviewer (its confirm-or-reject form).
        lookalike = evidence_row(world.investigation, owner, kind="photo", media_type="image/jpeg")
        db.session.add(
            EvidenceLink(
                investigation_id=world.investigation.id,
                first_id=world.evidence.id,
                second_id=lookalike.id,
                kind=LinkKind.NEAR.value,
                status=LinkStatus.SUGGESTED.value,
                distance=12,
                implementation="pdqhash (fuzz)",
            )
        )
        # A witness who consents: the World's witness has withdrawn consent (a pending re-grant),
        # so sealing is not offered for them.
        consenting = make_witness(world.investigation, owner)
        sealed = make_interview(world.investigation, owner, consenting)
        draft = make_interview(world.investigation, owner, consenting)
        seal_testimony(sealed, owner)
        # A translation draft of it by the owner: a second person's page shows the seal form.
        translation = start_translation(
            sealed,
            owner,
            TranslationSource("testimony", sealed.content_hash),
            TranslationInput(source_language="ar", target_language="en", text="Translated."),
        )
        # Testimony sealed before languages were codes, its free text naming none of the list:
        # its page shows the form choosing the codes.
        flagged = make_interview(world.investigation, owner, consenting)
        flagged.record_format, flagged.languages, flagged.language = 1, "", "Syrian dialect"
        db.session.flush()
        seal_testimony(flagged, owner)
        raise_alarm(db.session, world.investigation.id, None, "raised to show its acknowledge form")
        # A release of the World's hold asked by the admin: the lawyer's queue shows the
        # approve and refuse forms.
        admin_view = viewer_of(world.investigation, self.users["admin"])
        request_release(admin_view, world.hold.id, "Shown for its approve and refuse forms")
        # A PDF and a video in the case file: their redaction forms (page areas; boxes, spans),
        # stored for real, so that a valid redaction reads them as the page does.
        redactable = [
            casefiles.add_item(
                world.case.casefile,
                world.investigation,
                self.users["lawyer"],
                "evidence",
                make_photo_evidence(world.investigation, owner, data, name).id,
            )
            for name, data in (("statement.pdf", one_page_pdf()), ("clip.mp4", one_second_mp4()))
        ]
        db.session.commit()
        cases = f"/investigations/{world.investigation.reference}/cases"
        self.extra_pages = [
            f"/investigations/{world.investigation.reference}/interviews/{sealed.id}",
            f"/investigations/{world.investigation.reference}/interviews/{flagged.id}",
            f"/investigations/{world.investigation.reference}/interviews/{draft.id}/seal",
            f"/investigations/{world.investigation.reference}/interviews/{sealed.id}/translations/new",
            f"/investigations/{world.investigation.reference}/interviews/{sealed.id}"
            f"/translations/{translation.id}",
            *(
                f"{cases}/{world.case.casefile.reference}/items/{item.id}/redact-media"
                for item in redactable
            ),
        ]
        issue_token(owner)
        issue_device(owner, world.investigation.id, "Phone", None)  # its revoke form
        db.session.commit()
        sign_in(self.app.test_client(), owner)

    def endpoint_of(self, path: str, method: str) -> str | None:
        try:
            return self.adapter.match(path, method=method)[0]
        except (NotFound, MethodNotAllowed):
            return None

    def _crawl(self) -> None:
        pages = []
        for endpoint, rule, methods in URL_RULES:
            if "GET" not in methods or rule.startswith("/api/"):
                continue
            if "download" in endpoint and not endpoint.endswith("_reason"):
                continue  # files; the page asking why an original is downloaded is a form
            if endpoint in ("vault.evidence_stream", "vault.evidence_derivative"):
                continue  # media, not pages
            pages.append(self.world.fill(rule))
        for page in pages + self.extra_pages:
            for persona in self.clients:
                response = self.clients[persona].get(page)
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                reader = FormReader()
                reader.feed(response.get_data(as_text=True))
                for method, action, names in reader.forms:
                    url = urlsplit(action).path if action else page
                    found = self.endpoint_of(url, method)
                    if found is None or preferred_persona(found) != persona:
                        continue
                    key = f"{method} {found}"
                    form = self.forms.setdefault(key, FoundForm(persona, url, method))
                    form.fields |= names - {"csrf_token"}
        for key, names in NOT_SHOWN_HERE.items():
            self.forms[key].fields |= names

    def client_for(self, endpoint: str):
        return self.clients[preferred_persona(endpoint)]

    def token_for(self, endpoint: str) -> str:
        """The CSRF token of that person's session, read once from a page as a browser would."""
        persona = preferred_persona(endpoint)
        if persona not in self.tokens:
            page = "/auth/2fa" if persona == "pending" else "/auth/login"
            self.tokens[persona] = csrf_token(self.clients[persona], page)
        return self.tokens[persona]


# Case files, retention (holds, rules, two-person requests), duplicate decisions, consistency
# and C2PA re-checks are the reviewers' work: the Site's lawyer.
REVIEWERS_ONLY = ("casefiles.", "retention.", "duplicates.", "consistency.", "provenance.")
# A consent re-grant is decided by a second reviewer, a lawyer (tests/intake).
REGRANT = "intake.witness_regrant"
# Only a member holding the identity grant reveals an identity (issue 15): the Site's lawyer.
REVEAL = "intake.reveal_witness_identity"
# ... and sees (and fills) who an item was acquired from in its acquisition record.
ACQUISITION = "acquisition.record_evidence_acquisition"
# A translation is sealed by a second person, never its translator (the owner here).
TRANSLATION_SEAL = "intake.seal_translation"


def preferred_persona(endpoint: str) -> str:
    if endpoint == "auth.second_factor":
        return "pending"
    if endpoint in ANONYMOUS:
        return "anonymous"
    if endpoint.startswith("admin.") or endpoint == "custody.acknowledge_alarm":
        return "admin"
    if endpoint.startswith(REVIEWERS_ONLY) or endpoint in (
        "auth.recovery_codes",
        REGRANT,
        REVEAL,
        ACQUISITION,
        TRANSLATION_SEAL,
    ):
        return "lawyer"  # recovery codes: only an account with a second factor has them
    return "owner"


def form_body(values: dict) -> bytes:
    """application/x-www-form-urlencoded as a browser sends it; lone surrogates become invalid
    UTF-8 bytes on the wire, lists repeat the name."""
    parts = []
    for name, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            parts.append(f"{quote(name)}={quote(one, safe='', errors='surrogatepass')}")
    return "&".join(parts).encode()


def app_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("app."):
            found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def field_names(app, cls: type) -> set[str]:
    with app.test_request_context(method="POST"):
        form = cls(meta={"csrf": False})
        names = set()
        for f in form:
            names |= {sub.name for sub in f} if hasattr(f, "_fields") else {f.name}
        return names


# Not web forms: the API (JSON) and the phone apps' OpenRosa submissions (multipart from a
# device, whose hostile bodies tests/openrosa/test_refusals.py sends).
MACHINE_PREFIXES = ("/api/", "/openrosa/")
WEB_POST_ENDPOINTS = sorted(
    {
        e
        for e, rule, methods in URL_RULES
        if "POST" in methods and not rule.startswith(MACHINE_PREFIXES)
    }
)
ERROR_PAGE = re.compile(r"<h1>\d{3}</h1>\s*<p>([^<]+)</p>")
LEAKS = ("Traceback", 'File "/', "sqlalchemy.", "psycopg", "werkzeug.")


def check_answer(response, before: dict[str, int], endpoint: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (endpoint, response.status_code)
    assert not any(leak in text for leak in LEAKS), (endpoint, text[:500])
    if response.status_code >= 400:
        said = page_messages(response) or ERROR_PAGE.findall(text)
        assert said, (endpoint, response.status_code, "no message on the page")
        after = row_counts()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        # Refused credentials are audited (app/auth/services/login.py): that row is the point.
        if endpoint.startswith("auth."):
            changed.pop("audit_events", None)
        assert changed == {}, (endpoint, "half-stored", changed)


@pytest.fixture
def site(app, app_ctx):
    return Site(app)


def test_every_post_route_and_every_form_class_is_reached(app, site):
    """One crawl: every POST route shows a form with fields (or takes none), every WTForms
    class of the app is rendered somewhere, and the way in is crawled as a stranger."""
    with_fields = {key.split(" ", 1)[1] for key, form in site.forms.items() if form.fields}
    missing = set(WEB_POST_ENDPOINTS) - with_fields - NO_FIELDS
    assert missing == set(), "no form with fields found for these POST routes"
    assert len(with_fields) >= 25

    rendered = [form.fields for form in site.forms.values()]
    unseen = {}
    for cls in app_form_classes():
        names = field_names(app, cls) - {"csrf_token"}
        if names and not any(names <= fields for fields in rendered):
            unseen[cls.__qualname__] = sorted(names - set().union(*rendered))
    assert unseen == {}, "form classes whose fields no page shows"

    assert site.forms["POST auth.login"].persona == "anonymous"
    assert {"email", "password"} <= site.forms["POST auth.login"].fields
    assert PUBLIC_ENDPOINTS >= ANONYMOUS


@pytest.fixture
def no_lockout(app):
    """Hostile codes would lock the half-signed-in account (tests/auth covers lockout)."""
    saved = app.config["LOCKOUT_THRESHOLD"]
    app.config["LOCKOUT_THRESHOLD"] = 1_000_000
    yield
    app.config["LOCKOUT_THRESHOLD"] = saved


def test_hostile_values_in_every_field_of_every_form(app, site, no_lockout):
    failures = []
    for key, form in sorted(site.forms.items()):
        method, endpoint = key.split(" ", 1)
        if not form.fields or endpoint in NO_FIELDS:
            continue
        try:
            fuzz_form(site, endpoint, form)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (reported below)
            failures.append(f"{key} {form.url}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def fuzz_form(site: Site, endpoint: str, form: FoundForm) -> None:
    names = sorted(form.fields)

    def send(values: dict):
        client = site.client_for(endpoint)
        before = row_counts()
        if form.method == "GET":
            query = form_body(values).decode()
            response = client.get(f"{form.url}?{query}")
        else:
            token = site.token_for(endpoint)
            body = form_body({**values, "csrf_token": token})
            response = client.post(
                form.url, data=body, content_type="application/x-www-form-urlencoded"
            )
        check_answer(response, before, endpoint)

    for value in CLASSIC:
        send(dict.fromkeys(names, value))

    @given(values=st.dictionaries(st.sampled_from(names), VALUES, min_size=1))
    @FUZZ
    def hostile(values):
        send(values)

    hostile()
