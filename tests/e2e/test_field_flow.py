"""Field researcher in Chromium: incident, witness, interview, resumable upload, seal."""

from __future__ import annotations

import pytest

from tests.e2e.actions import sign_in
from tests.e2e.field_steps import field_flow, make_media

pytestmark = pytest.mark.e2e


def test_field_researcher_records_testimony_with_resumed_upload(
    page, guard, live_server, totp, tmp_path
):
    media = make_media(tmp_path, "en")
    sign_in(page, live_server, live_server.account("field", 0), totp)
    field_flow(page, live_server, guard, media, place="Maarat al-Numan market (e2e en)")
