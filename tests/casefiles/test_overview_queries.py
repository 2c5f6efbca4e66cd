"""A case file's overview loads its items' element links in one query, however many items."""

from __future__ import annotations

import contextlib
import re

from sqlalchemy import event

from app.casefiles.services import casefiles
from app.extensions import db
from tests.casefiles.conftest import crime, element


@contextlib.contextmanager
def counted_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def link_counts(html: str) -> list[str]:
    """The overview's items table: each row's count of element links (its 'Links' column)."""
    return re.findall(r"<td>(\d+)</td>", html)


def test_the_overview_makes_as_many_queries_for_three_items_as_for_one(world, signed_in):
    investigation, author = world.investigation, world.author
    casefile = casefiles.create_casefile(
        investigation, author, "Strike", "Protected object?", [crime("8(2)(e)(iv)").id]
    )
    first = casefiles.add_item(casefile, investigation, author, "interview", world.interview.id)
    casefiles.link_element(
        casefile, author, first, element("8(2)(e)(iv)", "1").id, "supporting", ""
    )
    db.session.commit()
    client = signed_in(author)
    url = f"/investigations/{investigation.reference}/cases/{casefile.reference}"
    client.get(url)  # the session's own first-request queries aside
    with counted_queries() as one_item:
        response = client.get(url)
    assert response.status_code == 200
    assert "1" in link_counts(response.get_data(as_text=True))

    for interview, code in ((world.hearsay_interview, "2"), (world.withdrawn_interview, "3")):
        item = casefiles.add_item(casefile, investigation, author, "interview", interview.id)
        for number in ("1", code):
            casefiles.link_element(
                casefile, author, item, element("8(2)(e)(iv)", number).id, "supporting", ""
            )
    db.session.commit()
    with counted_queries() as three_items:
        response = client.get(url)
    assert response.status_code == 200
    assert link_counts(response.get_data(as_text=True)).count("2") >= 2
    assert len(three_items) == len(one_item), (len(one_item), len(three_items))
