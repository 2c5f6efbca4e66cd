"""A web worker warms up before serving (gunicorn.conf.py): templates compiled, no data read."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import event

from app.extensions import db
from app.warmup import warm_up


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the test session goes on collecting as before


def test_warm_up_compiles_every_page_template_without_touching_the_database(
    app, app_ctx, client, unfrozen
):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        warm_up(app)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
    names = app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html"))
    cached = {template.name for template in app.jinja_env.cache.values()}
    assert "intake/incidents/list.html" in names and set(names) <= cached
    assert gc.get_freeze_count() > 0
    # Pages render as before once warm.
    response = client.get("/auth/login")
    assert response.status_code == 200 and b'name="csrf_token"' in response.data


def test_gunicorn_config_warms_each_worker(app, unfrozen):
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    app.jinja_env.cache.clear()
    config["post_worker_init"](SimpleNamespace(wsgi=app))
    assert any(t.name == "base.html" for t in app.jinja_env.cache.values())
