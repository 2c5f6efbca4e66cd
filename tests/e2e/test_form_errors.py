"""Every form refused on a phone (390×844): its error is announced, focused, leads to its field.

Issue 18, item 6. Each role signs in, in a browser of its own, and walks the pages by their
links (the walk of tests/e2e/test_accessibility.py); every POST form with a field to fill is
sent, from the page where the walk first meets it, with its fields emptied (a form whose every
field is optional with one value mistyped: MISTYPED) and the browser's own checks off
(`noValidate`), so the server decides: the answer must be a refusal (4xx, or a redirect to a
page saying what was refused), a 4xx page must give the form back (item 1: what was typed is
not lost to a bare error page), and on the page that comes back the focus must be
on the error summary, announced (`role="alert"`) and in sight at the top of the screen. Where
the refusal names fields, each field in error is marked (`aria-invalid`), described by its error
(`aria-describedby`), and named by a link in the summary in the order of the page, and a tap on
the first link puts the focus in that field, ready to type.

Forms that only appear with rarer records (a ledger alarm, a legal hold, a re-grant waiting,
testimony sealed before language codes…) are made first by tests/e2e/form_seeds.py, and their
pages visited after each walk. A form with no field to fill (BUTTONS: a button, its only values
hidden) cannot be sent empty: it is sent with a stale CSRF token instead, and that refusal must
be announced, focused and in sight the same way. A POST route of the app that no walk reached
fails the test unless it takes no input (tests/security/test_fuzz_forms.py's NO_FIELDS) or is
named in ELSEWHERE (met by a walk but not sent empty, with why and where its refusals are
checked) or IN_THEIR_FLOW (never met by these walks: sent in their own browser flow).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.exceptions import HTTPException

from tests.conftest import ROOT
from tests.e2e.conftest import PHONE
from tests.e2e.guards import Guard
from tests.e2e.live_server import DEMO_REFERENCE, LiveServer
from tests.e2e.test_accessibility import STARTS, URL_MAP, endpoint_of, walk
from tests.security.test_fuzz_forms import NO_FIELDS, WEB_POST_ENDPOINTS

pytestmark = pytest.mark.e2e

# Forms the walks meet but do not send empty, each with why and where its refusals are checked.
ELSEWHERE: dict[str, str] = {}

# Forms whose every field is optional, so that sent empty they are accepted: sent with the
# others emptied and one value a person could mistype, which must be refused like an empty one.
MISTYPED: dict[str, dict[str, str]] = {
    # The Berkeley Protocol asks for what is known; a date must still be a date.
    "acquisition.record_evidence_acquisition": {"acquired_at": "the morning after the strike"},
}

# Forms no walk meets, sent in their own browser flow instead.
IN_THEIR_FLOW: dict[str, str] = {
    "intake.edit_translation": "only a translator's own draft offers it; the demo's translations"
    " are sealed (tests/e2e/test_translation_flow.py drafts one)",
    "intake.seal_translation": "only another person's draft offers it; the demo's translations"
    " are sealed (tests/e2e/test_translation_flow.py seals one)",
}

# Forms with no field a person fills (buttons; their values hidden): sent with a stale CSRF
# token, the one refusal they can meet from any page, which must be shown like any other.
BUTTONS: dict[str, str] = {
    "intake.unlink_interview_evidence": "a Detach button; the item's id is hidden",
    "intake.witness_regrant": "Approve and Refuse buttons, nothing to fill",
    "duplicates.duplicate_decision": "Confirm and Reject buttons; the decision is hidden",
    "auth.revoke_api_token": "a Revoke button; the token's id is hidden",
    "auth.revoke_openrosa_device": "a Revoke button; the device's id is hidden",
}
# Forms whose only value is drawn, not typed (a hidden field a script fills): sent as they come,
# with nothing drawn.
DRAWN = frozenset({"casefiles.redact"})

# A form's address, read from its attribute: `form.action` and `form.method` name the form's own
# field when it has one called so (the retention rule's "action", the acquisition's "method").
ACTION_OF = "(form) => new URL(form.getAttribute('action') || '', document.baseURI).href"

# Every POST form of the page, with how many fields a person fills in (buttons take no input).
FORMS_OF_PAGE = f"""() => [...document.forms].map((form, index) => ({{
    index,
    action: ({ACTION_OF})(form),
    post: (form.getAttribute('method') || '').toLowerCase() === 'post',
    fields: [...form.elements].filter(e => !['hidden', 'submit', 'button', 'reset', 'file']
        .includes(e.type) && e.tagName !== 'BUTTON' && e.tagName !== 'FIELDSET').length,
}})).filter(form => form.post)"""

# Empty every field the person could fill (a select gets an empty choice it did not offer),
# but those `typed` names, turn the browser's own checks off and send the form with its first
# submit button.
SEND_EMPTY = """({index, typed}) => {
    const form = document.forms[index];
    form.noValidate = true;
    for (const e of form.elements) {
        if (['hidden', 'submit', 'button', 'reset', 'file'].includes(e.type)
            || e.tagName === 'BUTTON' || e.tagName === 'FIELDSET') continue;
        if (e.type === 'checkbox' || e.type === 'radio') { e.checked = false; continue; }
        if (e.tagName === 'SELECT') {
            e.multiple ? [...e.options].forEach(o => { o.selected = false; })
                       : (e.add(new Option('', '')), e.value = '');
            continue;
        }
        e.value = typed[e.name] || '';
    }
    // After this evaluation has returned: the navigation would cut it off.
    setTimeout(() => form.requestSubmit(form.querySelector('[type=submit]') || undefined), 0);
}"""

# The form as it is, its CSRF token gone stale (a session that ended, a page left open too long).
SEND_STALE = """({index}) => {
    const form = document.forms[index];
    form.querySelector('input[name=csrf_token]').value = 'stale';
    setTimeout(() => form.requestSubmit(form.querySelector('[type=submit]') || undefined), 0);
}"""


# What the refused page shows: the focused element, the summary, the fields marked in error.
REFUSED_PAGE = """() => {
    const active = document.activeElement;
    const summary = document.querySelector('#main .error-summary');
    const box = summary ? summary.getBoundingClientRect() : null;
    const described = (e) => (e.getAttribute('aria-describedby') || '').split(/\\s+/)
        .map(id => document.getElementById(id)).filter(d => d && d.classList.contains('error'))
        .map(d => d.textContent.trim()).join(' ');
    return {
        focusedSummary: !!summary && active === summary,
        role: summary ? summary.getAttribute('role') : null,
        summaryText: summary ? summary.innerText.trim() : '',
        top: box ? box.top : null,
        bottom: box ? box.bottom : null,
        links: summary ? [...summary.querySelectorAll('a[href^="#"]')]
            .map(a => a.getAttribute('href').slice(1)) : [],
        invalid: [...document.querySelectorAll('#main [aria-invalid=true]')]
            .map(e => ({id: e.id, error: described(e)})),
    };
}"""


def post_endpoint_of(url: str) -> str | None:
    try:
        endpoint, _ = URL_MAP.bind("localhost").match(urlsplit(url).path, method="POST")
    except HTTPException:
        return None
    return endpoint


# Whether the page holds a form sending to this address (a refused form given back).
HAS_FORM_FOR = f"(action) => [...document.forms].some(form => ({ACTION_OF})(form) === action)"


def send(
    page: Page,
    guard: Guard,
    index: int,
    where: str,
    how: str = SEND_EMPTY,
    typed: dict[str, str] | None = None,
) -> list[str]:
    """Send form `index` of the page as it is now (emptied but for `typed`, or stale); what is
    wrong with how its refusal is shown."""
    action = page.evaluate(f"(i) => ({ACTION_OF})(document.forms[i])", index)
    problems = []
    # Sent once the page has stopped loading, as a person would: a thumbnail still being fetched
    # when the refusal is flashed can answer after it with the session cookie it started with,
    # which holds no flash, and the page the redirect leads to then says nothing (seen in CI).
    page.wait_for_load_state("networkidle")
    try:
        with (
            guard.allowing(400, "", "POST", optional=True),
            guard.allowing(401, "", "POST", optional=True),
            guard.allowing(409, "", "POST", optional=True),
            guard.allowing(422, "", "POST", optional=True),
            page.expect_navigation(),
            page.expect_response(lambda r: r.url == action and r.request.method == "POST") as sent,
        ):
            page.evaluate(how, {"index": index, "typed": typed or {}})
    except PlaywrightTimeoutError:
        return [f"{where}: sending the form brought no answer (a script kept it, unannounced?)"]
    status = sent.value.status
    page.wait_for_load_state("load")
    seen = page.evaluate(REFUSED_PAGE)
    # A refusal is a 4xx answer, or a redirect to a page that says what was refused (a button's
    # form, answered post/redirect/get with an error message).
    redirected_refusal = 300 <= status < 400 and seen["summaryText"]
    if not (400 <= status < 500 or redirected_refusal):
        return [f"{where}: accepted with every field empty (HTTP {status})"]
    # Issue 18, item 1: a form refused for what was typed comes back (with it), not a bare
    # error page that drops it.
    if 400 <= status < 500 and how == SEND_EMPTY and not page.evaluate(HAS_FORM_FOR, action):
        problems.append(f"{where}: refused (HTTP {status}) without giving the form back")
    if not seen["focusedSummary"]:
        problems.append(f"{where}: the focus is not on an error summary (HTTP {status})")
    if seen["role"] != "alert":
        problems.append(f"{where}: the error summary is not announced (role={seen['role']!r})")
    # Scrolled to the top of the screen (within a pixel: layout rounds to fractions).
    if seen["top"] is None or not -1 < seen["top"] < PHONE["height"] / 2:
        problems.append(f"{where}: the error summary is out of sight ({seen['top']})")
    invalid = [f for f in seen["invalid"] if f["id"]]
    for marked in invalid:
        if not marked["error"]:
            problems.append(f"{where}: #{marked['id']} is in error but described by no error")
        elif marked["error"] not in seen["summaryText"]:
            problems.append(f"{where}: #{marked['id']}'s error is missing from the summary")
    order = [f["id"] for f in invalid]
    if [link for link in seen["links"] if link in order] != order:
        problems.append(
            f"{where}: the summary links {seen['links']}, the fields in error are {order}"
        )
    elif order:
        page.locator(f"#main .error-summary a[href='#{order[0]}']").tap()
        if page.evaluate("() => document.activeElement && document.activeElement.id") != order[0]:
            problems.append(f"{where}: a tap on the summary's link leaves #{order[0]} unfocused")
    return problems


@dataclass
class FormRefuser:
    """Walks like the accessibility test; on each page, sends every form not yet sent from the
    page it is on (the first at once, each further one after loading the page again)."""

    page: Page
    guard: Guard
    who: str
    refused: set[str]
    problems: list[str]
    met_elsewhere: set[str]
    checked: set[str] = field(default_factory=set)

    def check(self, page: Page, who: str, name: str) -> None:
        page.wait_for_load_state("load")
        url = page.url
        endpoint = endpoint_of(urlsplit(url).path)
        if endpoint:
            self.checked.add(endpoint)
        to_send = []
        for found in page.evaluate(FORMS_OF_PAGE):
            action = post_endpoint_of(found["action"])
            if action in ELSEWHERE:
                self.met_elsewhere.add(action)
            if not action or action in self.refused or action in ELSEWHERE:
                continue
            if action in (a for a, *_ in to_send):
                continue
            if found["fields"]:
                to_send.append((action, found["index"], SEND_EMPTY))
            elif action in DRAWN:
                to_send.append((action, found["index"], SEND_EMPTY))
            elif action in BUTTONS:
                to_send.append((action, found["index"], SEND_STALE))
        for number, (action, index, how) in enumerate(to_send):
            if number:
                page.goto(url)
            where = f"{self.who} {action}"
            self.problems += send(page, self.guard, index, where, how, MISTYPED.get(action))
            self.refused.add(action)

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.check(self.page, self.who, url)


def visit_case_files(page: Page, server: LiveServer, refuser: FormRefuser) -> None:
    """Every case file's page, its edit page and its first items': the walk meets one case file,
    and only a draft (the demo lawyer's own) shows the forms that change its items."""
    page.goto(f"{server.url}/investigations/{DEMO_REFERENCE}/cases/")
    cases = page.locator("main table tbody tr a").evaluate_all("links => links.map(a => a.href)")
    for case in cases:
        page.goto(case)
        more = page.locator("main a[href*='/items/'], main a[href$='/edit']").evaluate_all(
            "links => [...new Set(links.map(a => a.href))].slice(0, 3)"
        )
        refuser.check(page, "lawyer", "case file")
        for href in more:
            refuser.visit(href)


def seed_forms(server: LiveServer) -> dict[str, list[str]]:
    """tests/e2e/form_seeds.py run against the server's database: the seeded pages, per role."""
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", "tests.e2e.form_seeds"]
        + [server.account(role).email for role in ("field", "lawyer", "admin")],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"seeding failed:\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def phone_browser(browser: Browser, server: LiveServer) -> tuple[BrowserContext, Page, Guard]:
    context = browser.new_context(
        base_url=server.url, locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(20_000)
    guard = Guard(context)
    return context, context.new_page(), guard


def sign_in(page: Page, server: LiveServer, role: str, totp, guard, problems: list[str]) -> None:
    """Through the real forms; the second-factor form is first refused empty, then answered."""
    account = server.account(role)
    page.goto(f"{server.url}/auth/login")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator("main form button[type=submit]").click()
    if account.totp_secret:
        expect(page).to_have_url(f"{server.url}/auth/2fa")
        problems += send(page, guard, 0, f"{role} auth.second_factor")
        page.locator("#code").fill(totp.code(account.totp_secret))
        page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action='/auth/logout']")).to_be_visible()
    page.wait_for_load_state("load")


def acknowledge_and_leave(page: Page, server: LiveServer, ledger: str) -> None:
    """The seeded alarm, acknowledged for real; then the admin leaves its investigation, so the
    admin walks of other tests meet only what the demo made."""
    page.goto(server.url + ledger)
    page.locator("#note").fill("Looked at the seeded break (e2e).")
    page.locator("form[action$='/custody/acknowledge'] button[type=submit]").click()
    expect(page.locator("main .flash-success")).to_contain_text("Alarm acknowledged")
    reference = ledger.split("/")[2]
    page.goto(f"{server.url}/admin/investigations/{reference}/members")
    page.locator("form[action*='/revoke'] button[type=submit]").first.click()
    expect(page.locator("form[action*='/revoke']")).to_have_count(0)


def test_every_refused_form_is_announced_and_focused_on_a_phone(browser, live_server, totp):
    problems: list[str] = []
    refused: set[str] = set()
    met: set[str] = set()  # forms of ELSEWHERE the walks met
    guards: list[Guard] = []
    contexts: list[BrowserContext] = []
    try:
        context, page, guard = phone_browser(browser, live_server)
        contexts.append(context)
        guards.append(guard)
        refuser = FormRefuser(page, guard, "anonymous", refused, problems, met)
        for anonymous in ("/auth/login", "/auth/set-password"):
            refuser.visit(f"{live_server.url}{anonymous}")

        seeded: dict[str, list[str]] = {}
        for role in ("admin", "field", "lawyer"):
            context, page, guard = phone_browser(browser, live_server)
            contexts.append(context)
            guards.append(guard)
            refuser = FormRefuser(page, guard, role, refused, problems, met)
            sign_in(page, live_server, role, totp, guard, problems)
            if live_server.account(role).totp_secret:
                refused.add("auth.second_factor")
            if role == "field":  # a second session of the same person offers to end it
                other, other_page, other_guard = phone_browser(browser, live_server)
                contexts.append(other)
                guards.append(other_guard)
                sign_in(other_page, live_server, role, totp, other_guard, problems)
            walk(page, live_server, role, refuser, STARTS[role])
            if role == "admin":  # walked before the seeds, which give it an investigation
                seeded = seed_forms(live_server)
            if role == "lawyer":
                visit_case_files(page, live_server, refuser)
            for path in seeded[role]:
                refuser.visit(live_server.url + path)
            if role == "admin":
                acknowledge_and_leave(page, live_server, seeded["admin"][0])
    finally:
        for context in contexts:
            context.close()
    for guard in guards:
        guard.check()
    assert not problems, "refused forms shown out of sight or unannounced:\n" + "\n".join(problems)
    missing = set(WEB_POST_ENDPOINTS) - NO_FIELDS - set(ELSEWHERE) - set(IN_THEIR_FLOW) - refused
    assert not missing, f"no walk reached the forms of these routes: {sorted(missing)}"
    assert met == set(ELSEWHERE), f"ELSEWHERE names forms no walk met: {set(ELSEWHERE) - met}"
