"""A refused review step shows its errors at the top of the form it changed, announced."""

from __future__ import annotations

import re

from tests.helpers.web import post_form

SUMMARY = re.compile(
    r'<div class="flashes error-summary" role="alert" tabindex="-1">(.*?)</div>', re.S
)


def test_send_for_review_without_a_comment_is_announced_at_the_top_of_its_form(
    built_case, signed_in
):
    client = signed_in(built_case.author)
    case_url = f"/investigations/{built_case.investigation.reference}/cases/"
    case_url += built_case.casefile.reference
    response = post_form(
        client, f"{case_url}/transition", {"to_status": "in_review", "comment": ""}, page=case_url
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    form = page[page.index(f'action="{case_url}/transition"') :]
    summary = SUMMARY.search(form)
    assert summary, "no announced error summary in the review form"
    assert 'href="#comment"' in summary.group(1)
    # …at the top of the form, before the fields it names, and beside the field as well.
    assert form.index("error-summary") < form.index('name="comment"')
    assert 'id="comment-error"' in form
