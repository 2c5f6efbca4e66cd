"""One look (issue 18, item 9): every page of an investigation, intake, evidence, custody and case
files alike, opens with the same trail and the same tabs (templates/investigations/_nav.html),
the tab of the page marked as current; the case file's pages add their own tabs below."""

from __future__ import annotations

import re

import pytest

NAV = re.compile(r'<nav class="investigation-nav"[^>]*>(.*?)</nav>', re.S)
TAB = re.compile(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>')
TABS = ["Incidents", "Map", "Timeline", "Witnesses", "Interviews", "Evidence"]


def pages(world) -> dict[str, str]:
    """Path -> the tab that page belongs to."""
    base = f"/investigations/{world.investigation.reference}"
    case = f"{base}/cases/{world.casefile.reference}"
    return {
        f"{base}/incidents": "Incidents",
        f"{base}/incidents/{world.incident.id}": "Incidents",
        f"{base}/incidents/map": "Map",
        f"{base}/incidents/timeline": "Timeline",
        f"{base}/witnesses": "Witnesses",
        f"{base}/interviews": "Interviews",
        f"{base}/interviews/{world.interview.id}": "Interviews",
        f"{base}/evidence": "Evidence",
        f"{base}/evidence/{world.photo.id}": "Evidence",
        f"{base}/cases/": "Case files",
        case: "Case files",
        f"{case}/matrix": "Case files",
        f"{case}/export": "Case files",
    }


@pytest.fixture
def case_world(built_case):
    return built_case


def tabs_of(page: str) -> list[tuple[str, bool]]:
    navs = NAV.findall(page)
    assert len(navs) == 1, "one investigation navigation per page"
    return [(label.strip(), bool(current)) for _, current, label in TAB.findall(navs[0])]


def test_every_investigation_page_has_the_same_tabs_with_its_own_marked(case_world, signed_in):
    client = signed_in(case_world.author)
    for path, tab in pages(case_world).items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        tabs = tabs_of(page)
        assert [label for label, _ in tabs] == [*TABS, "Case files"], path
        assert [label for label, current in tabs if current] == [tab], path
        assert (
            'href="/investigations/">Investigations</a>'
            in page.split('class="investigation-nav"')[0]
        ), path


def test_a_field_worker_is_offered_no_case_files_tab(case_world, signed_in):
    page = signed_in(case_world.field).get(
        f"/investigations/{case_world.investigation.reference}/incidents"
    )
    assert [label for label, _ in tabs_of(page.get_data(as_text=True))] == TABS


def test_the_case_file_tabs_mark_the_page_shown(case_world, signed_in):
    world = case_world
    case = f"/investigations/{world.investigation.reference}/cases/{world.casefile.reference}"
    page = signed_in(case_world.author).get(f"{case}/matrix").get_data(as_text=True)
    assert f'<a href="{case}/matrix" aria-current="page">' in page
