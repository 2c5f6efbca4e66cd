"""Map tiles are optional: no tile host means no outside request; a configured one is the only
extra image source the CSP allows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from config import ConfigurationError, map_tiles_origin
from tests.conftest import make_config

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize(
    "url,origin",
    [
        ("", None),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ],
)
def test_the_tile_origin_for_the_csp(url, origin):
    assert map_tiles_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//{z}",
        "https://{z}.example.org/{x}/{y}.png",
        "https://example.org; script-src *",
        "https://*/x",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_that_would_widen_the_csp_is_refused(url):
    with pytest.raises(ConfigurationError):
        map_tiles_origin(url)


def test_a_configured_tile_host_joins_img_src_and_nothing_else():
    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="custos-map-"))
    config = make_config("sqlite://", instance)
    config.CUSTOS_MAP_TILES_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    config.CUSTOS_MAP_TILES_ORIGIN = map_tiles_origin(config.CUSTOS_MAP_TILES_URL)
    app = create_app(config)
    policy = app.test_client().get("/static/js/map.js").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["img-src"] == "'self' blob: https://*.tile.openstreetmap.org"
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
