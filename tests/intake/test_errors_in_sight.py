"""A refused seal shows its errors at the top of the page, announced, and beside the field."""

from __future__ import annotations

from tests.helpers.web import post_form
from tests.intake.builders import make_interview, make_witness


def test_an_unconfirmed_seal_is_announced_at_the_top(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness)
    seal = world.url(f"/interviews/{interview.id}/seal")
    response = post_form(client_for(world.field_a), seal, {}, page=seal)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page.index('class="flashes error-summary" role="alert"')
    assert summary < page.index("<h2") < page.index('id="confirm-error"')
    assert "Tick the box to confirm." in page[summary : page.index("</div>", summary)]


def test_what_stops_a_seal_is_listed_at_the_top(world, client_for):
    witness = make_witness(world.investigation, world.field_a)
    interview = make_interview(world.investigation, world.field_a, witness, transcript="")
    seal = world.url(f"/interviews/{interview.id}/seal")
    page = client_for(world.field_a).get(seal).get_data(as_text=True)
    summary = page.index('class="flashes error-summary" role="alert"')
    assert "This testimony cannot be sealed yet:" in page[summary : summary + 400]
    assert summary < page.index("<h2")
