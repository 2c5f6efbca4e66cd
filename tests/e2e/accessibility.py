"""axe-core checks for the browser tests: inject the vendored axe.min.js and fail on bad findings.

API: `check_accessibility(page, where="")` runs `axe.run(document)` on the page as it is and
fails the test, listing every violation with impact "serious" or "critical" (rule, impact, help,
and up to five offending elements). Returns the full axe result (a dict) for further checks.

axe is injected with `page.evaluate` (DevTools evaluation, which the page's CSP does not
govern), so the app keeps its strict CSP during the tests: no `bypass_csp`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Page) -> dict:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => ({violations: r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.map(n => ({target: n.target, html: n.html,"
        " summary: n.failureSummary}))}))}))"
    )


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html'][:160]}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      ")[:400])
    return "\n".join(lines)


def check_accessibility(page: Page, where: str = "") -> dict:
    result = violations(page)
    bad = [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]
    if bad:
        pytest.fail(
            f"axe-core: {len(bad)} serious/critical violation(s) on {where or page.url}:\n"
            + describe(bad),
            pytrace=False,
        )
    return result
