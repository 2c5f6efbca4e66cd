"""Every page, for every role, in English and in Arabic: no serious or critical axe-core finding.

Issue 7 (item 4). Each role signs in through the real forms and walks the pages by following the
links it is shown, from the home page: one page per route (plus one evidence item of each kind
and one interview of each status, whose pages differ). On each page: the document's language
and direction match the interface language, a full-page screenshot goes to
tests/e2e/screenshots/, and axe-core (vendored 4.14.1) runs; every serious or critical
violation is collected and the test fails at the end listing page, rule and element. The walk
must reach every HTML page of the URL map, or name it in BEHIND_ACTIONS (pages that need an
action first, checked by the second test): a new page cannot slip past unchecked.

The guard of tests/e2e/conftest.py also fails the walk on a link that answers 4xx/5xx or on any
console error (a CSP violation included).
"""

from __future__ import annotations

import re
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from werkzeug.exceptions import HTTPException

from tests.conftest import make_config
from tests.e2e.accessibility import FAILING_IMPACTS, violations
from tests.e2e.guards import Guard
from tests.e2e.live_server import DEMO_REFERENCE, Account, LiveServer
from tests.e2e.screens import screenshot
from tests.e2e.totp import TotpClock

pytestmark = pytest.mark.e2e

LANGUAGES = ("en", "ar")
BROWSER_LOCALES = {"en": "en-GB", "ar": "ar"}
RTL = {"ar"}
ROLES = ("admin", "lawyer", "field")
# Where each role's walk begins: the home page, and the admin area's own address (admin.index,
# which no link names: the header links to the user list).
STARTS = {"admin": ("/", "/admin/"), "lawyer": ("/",), "field": ("/",)}

# Routes answering with something other than an HTML page (files, JSON, images, probes).
NOT_PAGES = frozenset(
    {
        "static",
        "auth.enroll_2fa_qr",
        "accesslog.report_download",
        "casefiles.export_download",
        "casefiles.export_progress",
        "casefiles.preview",
        "casefiles.redaction_preview",
        "health.healthz",
        "health.readyz",
        "intake.incident_map_data",
        "openrosa.form_download",  # XForms and the form list: XML for phone apps
        "openrosa.form_list_document",
        "vault.evidence_derivative",
        "vault.evidence_download",
        "vault.evidence_stream",
        "vault.tus_upload",
    }
)
# Pages no link of the demo leads to: the demo's case files hold no photo (redaction) and no
# export yet. test_pages_behind_actions_are_accessible makes them and checks them.
# The walk meets whichever case file a page links first (the reviewers' notice on the home
# page links case files in review, which have no Edit or Remove): the draft made by the second
# test is where those two pages are checked.
BEHIND_ACTIONS = frozenset(
    {"casefiles.redact", "casefiles.export_status", "casefiles.edit", "casefiles.confirm_removal"}
)
# Pages a flow of their own reaches and checks with axe (tests/e2e/actions.py checkpoint), in
# English: the media redaction page, behind a video item of a case file.
CHECKED_IN_THEIR_FLOW = {
    "casefiles.redact_media": "tests/e2e/test_redaction_flow.py",
    # A translation draft of one's own: the demo's translations are all sealed.
    "intake.edit_translation": "tests/e2e/test_translation_flow.py",
}


def _url_map():
    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="custos-a11y-"))
    return create_app(make_config("sqlite://", instance)).url_map


URL_MAP = _url_map()
HTML_PAGES = frozenset(
    rule.endpoint
    for rule in URL_MAP.iter_rules()
    if "GET" in rule.methods
    and rule.endpoint not in NOT_PAGES
    and not rule.endpoint.startswith("api.")
)


def endpoint_of(path: str) -> str | None:
    try:
        endpoint, _ = URL_MAP.bind("localhost").match(path, method="GET")
    except HTTPException:  # not a route, or a redirect (trailing slash)
        return None
    return endpoint


@dataclass
class Audit:
    """What the walk saw: the endpoints checked, and every serious or critical finding."""

    lang: str
    checked: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def check(self, page: Page, who: str, name: str) -> None:
        """Language and direction, a screenshot, and axe-core on the page as it is now."""
        page.wait_for_load_state("load")
        where = f"{who} [{self.lang}] {name} {urlsplit(page.url).path}"
        direction = "rtl" if self.lang in RTL else "ltr"
        html = page.locator("html")
        if (html.get_attribute("lang"), html.get_attribute("dir")) != (self.lang, direction):
            self.failures.append(
                f"{where}: <html lang={html.get_attribute('lang')!r}"
                f" dir={html.get_attribute('dir')!r}>, expected lang={self.lang!r}"
                f" dir={direction!r}"
            )
        screenshot(page, f"{self.lang}-{who}-{name}")
        for found in violations(page)["violations"]:
            if found["impact"] not in FAILING_IMPACTS:
                continue
            for node in found["nodes"]:
                self.failures.append(
                    f"{where}: {found['id']} ({found['impact']}: {found['help']}) at"
                    f" {' '.join(node['target'])}: {node['html'][:160]}"
                )
        endpoint = endpoint_of(urlsplit(page.url).path)
        if endpoint:
            self.checked.add(endpoint)

    def assert_clean(self) -> None:
        assert not self.failures, f"{len(self.failures)} accessibility problem(s):\n" + "\n".join(
            self.failures
        )


def sign_in(page: Page, server: LiveServer, account: Account, totp: TotpClock, audit: Audit):
    """The real sign-in forms in any language (fields found by id, not by their label)."""
    page.goto(f"{server.url}/auth/login")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator("main form button[type=submit]").click()
    if account.totp_secret:
        expect(page).to_have_url(f"{server.url}/auth/2fa")
        audit.check(page, account.role, "second-factor")
        page.locator("#code").fill(totp.code(account.totp_secret))
        page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action='/auth/logout']")).to_be_visible()
    page.wait_for_load_state("load")


def sign_out(page: Page) -> None:
    page.locator("form[action='/auth/logout'] button[type=submit]").click()
    expect(page.locator("form[action='/auth/logout']")).to_have_count(0)
    page.wait_for_load_state("load")  # its stylesheet too, before the next navigation


def choose_language(page: Page, server: LiveServer, lang: str) -> None:
    """The language switch of the settings page (saved on the account)."""
    page.goto(f"{server.url}/auth/settings")
    page.locator("#language").select_option(lang)
    page.locator("form:has(#language) button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.wait_for_load_state("load")


def variants(page: Page, link_column: int, variant_column: int) -> dict[str, str]:
    """One link per distinct value of a table column (evidence kind, interview status)."""
    rows = page.locator("main table tbody tr").evaluate_all(
        """(rows, [link, variant]) => rows.map(row => {
             const a = row.querySelector(`td:nth-child(${link}) a[href]`);
             const v = row.querySelector(`td:nth-child(${variant})`);
             return a && v ? [a.href, v.textContent.trim()] : null;
           }).filter(Boolean)""",
        [link_column, variant_column],
    )
    first: dict[str, str] = {}
    for href, variant in rows:
        first.setdefault(variant, href)
    return first


# List pages whose detail pages differ by a column: (link column, variant column).
VARIED = {"vault.evidence_list": (2, 4), "intake.interviews": (1, 5)}


def walk(page: Page, server: LiveServer, who: str, audit: Audit, starts: tuple[str, ...]) -> None:
    """Breadth-first over the links shown, one page per endpoint (or per variant)."""
    queue: deque[tuple[str, str | None]] = deque((server.url + start, None) for start in starts)
    seen_urls: set[str] = set()
    taken: set[str] = set()
    while queue:
        url, variant = queue.popleft()
        if url in seen_urls:
            continue
        seen_urls.add(url)
        endpoint = endpoint_of(urlsplit(url).path)
        if endpoint is None or endpoint not in HTML_PAGES:
            continue
        key = f"{endpoint}:{variant}" if variant else endpoint
        if key in taken:
            continue
        taken.add(key)
        page.goto(url)
        if endpoint == "intake.incident_map":  # the markers arrive by fetch after the load
            page.locator("#incident-map .incident-marker").first.wait_for(state="attached")
        # Where the page leads, read before the check: a check may leave the page (the form
        # walk of tests/e2e/test_form_errors.py sends its forms from where it finds them).
        if endpoint in VARIED:
            for number, (name, href) in enumerate(variants(page, *VARIED[endpoint]).items()):
                queue.appendleft((href, name if name.isascii() else f"variant{number + 1}"))
        links = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
        audit.check(page, who, key)
        audit.checked.add(endpoint)  # a route that redirects is checked through its target
        if endpoint == "intake.incident_map":  # and a marker's popup
            page.locator("#incident-map .incident-marker").first.click(force=True)
            expect(page.locator(".leaflet-popup-content a").first).to_be_visible()
            # Leaflet fades the popup in: axe would measure the contrast of a half-drawn text.
            page.wait_for_function(
                "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
            )
            audit.check(page, who, f"{key}-popup")
            links += page.locator(".leaflet-popup a[href]").evaluate_all(
                "links => links.map(a => a.href)"
            )
        for href in links:
            href = href.split("#", 1)[0]
            if href.startswith(server.url) and href not in seen_urls:
                queue.append((href, None))


@pytest.fixture
def browsing(browser, live_server, lang):
    """A page in a browser speaking `lang` (before sign-in the browser's language decides),
    watched by the guard of tests/e2e/guards.py like the conftest's `page`."""
    context = browser.new_context(
        base_url=live_server.url,
        locale=BROWSER_LOCALES[lang],
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(20_000)
    guard = Guard(context)
    try:
        yield context.new_page(), guard
        guard.check()
    finally:
        context.close()


# The Arabic walk checks direction and language on the same pages the English walk has already
# loaded on both databases, so it runs in the SQLite pass only (marker `once`).
@pytest.mark.parametrize(
    "lang",
    [pytest.param(lang, marks=[pytest.mark.once] if lang != "en" else []) for lang in LANGUAGES],
)
def test_every_page_is_accessible(browsing, live_server, totp, lang):
    page, guard = browsing
    audit = Audit(lang)
    base = live_server.url
    # Intentional error answers: the guard fails the test on any other, and on a missing one.
    guard.expect(401, r"/auth/login$", "POST")
    guard.expect(404, r"/no-such-page$")
    guard.expect(403, r"/admin/users$")
    guard.expect(404, r"/investigations/NO-SUCH-CASE$")

    page.goto(f"{base}/auth/login")
    audit.check(page, "anonymous", "sign-in")
    page.locator("#email").fill("nobody@example.org")
    page.locator("#password").fill("not the password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .flash, main .error").first).to_be_visible()
    audit.check(page, "anonymous", "sign-in-refused")
    page.goto(f"{base}/auth/set-password")
    audit.check(page, "anonymous", "set-password")
    page.goto(f"{base}/no-such-page")
    audit.check(page, "anonymous", "not-found")

    for role in ROLES:
        account = live_server.account(role)
        sign_in(page, live_server, account, totp, audit)
        try:
            if lang != "en":
                choose_language(page, live_server, lang)
            walk(page, live_server, role, audit, STARTS[role])
            if role != "admin":
                page.goto(f"{base}/admin/users")
                audit.check(page, role, "forbidden")
                page.goto(f"{base}/investigations/NO-SUCH-CASE")
                audit.check(page, role, "not-found")
        finally:
            if lang != "en":
                choose_language(page, live_server, "en")  # the account as the demo made it
        sign_out(page)

    audit.assert_clean()
    missing = HTML_PAGES - BEHIND_ACTIONS - set(CHECKED_IN_THEIR_FLOW) - audit.checked
    assert not missing, (
        f"no link reached these pages, so they went unchecked: {sorted(missing)}; "
        "link them, or check them in test_pages_behind_actions_are_accessible"
    )


def photo_evidence_id(page: Page, server: LiveServer) -> str:
    page.goto(f"{server.url}/investigations/{DEMO_REFERENCE}/evidence")
    by_kind = variants(page, *VARIED["vault.evidence_list"])
    assert "photo" in by_kind, f"the demo has no photo evidence to redact: {sorted(by_kind)}"
    return by_kind["photo"].rsplit("/", 1)[-1]


def test_pages_behind_actions_are_accessible(page, guard, live_server, totp):
    """Redaction and export pages, and a refused form, on a case file made for the purpose."""
    base = live_server.url
    cases = f"{base}/investigations/{DEMO_REFERENCE}/cases"
    audit_en = Audit("en")
    sign_in(page, live_server, live_server.account("lawyer"), totp, audit_en)
    photo = photo_evidence_id(page, live_server)

    guard.expect(400, r"/cases/new$", "POST")  # the empty form, refused
    page.goto(f"{cases}/new")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .error").first).to_be_visible()
    audit_en.check(page, "lawyer", "casefile-refused")
    page.locator("#title").fill("Accessibility check (e2e)")
    page.locator("#legal_question").fill("Are the redaction and export pages usable by all?")
    page.locator("#crimes input[type=checkbox]").first.check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/(?!new$)[^/]+$"))
    page.wait_for_load_state("load")  # each page whole before the next step leaves it
    casefile = page.url
    page.locator("#item").select_option(f"evidence:{photo}")
    page.locator("form:has(#item) button[type=submit]").click()
    expect(page.locator("main a[href*='/items/']").first).to_be_visible()
    page.wait_for_load_state("load")
    removal = page.locator("main a[href$='/remove']").first.get_attribute("href")
    page.locator("main a[href*='/items/']").first.click()
    expect(page.locator("main a[href$='/redact']")).to_be_visible()
    page.wait_for_load_state("load")
    page.locator("main a[href$='/redact']").click()
    expect(page.locator("#redact-image")).to_be_visible()
    page.wait_for_load_state("load")  # its script too, before leaving
    redact = page.url
    page.goto(f"{casefile}/export")
    page.locator("#for_whom").fill("Accessibility check")
    page.locator("#unencrypted_reason").fill("Technician on site")
    page.locator("#access_reason").select_option("verification")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/exports/[^/]+$"))
    export = page.url
    expect(page.locator("#job-download")).to_be_visible(timeout=120_000)  # the bag is made
    page.wait_for_load_state("networkidle")  # and the page's progress polls are over

    for lang in LANGUAGES:
        audit = audit_en if lang == "en" else Audit(lang)
        if lang != "en":
            choose_language(page, live_server, lang)
        try:
            page.goto(f"{casefile}/edit")
            audit.check(page, "lawyer", "casefiles.edit")
            page.goto(f"{base}{removal}")
            audit.check(page, "lawyer", "casefiles.confirm_removal")
            page.goto(redact)
            audit.check(page, "lawyer", "casefiles.redact")
            box = page.locator("#redact-image").bounding_box()
            assert box, "the photo to redact is not shown"
            page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
            page.mouse.up()
            audit.check(page, "lawyer", "casefiles.redact-with-a-box")
            page.goto(export)
            expect(page.locator("#job-download")).to_be_visible(timeout=120_000)
            audit.check(page, "lawyer", "casefiles.export_status")
            page.wait_for_load_state("networkidle")  # its last progress poll, before leaving
        finally:
            if lang != "en":
                choose_language(page, live_server, "en")
        audit.assert_clean()
        assert BEHIND_ACTIONS <= audit.checked, sorted(BEHIND_ACTIONS - audit.checked)
