"""docs/security.md's ASVS mapping stays whole and true: every requirement, every named test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]


def renderer():
    spec = importlib.util.spec_from_file_location("render_asvs", ROOT / "tools" / "render_asvs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_asvs"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_requirement_in_scope_is_mapped_and_every_named_test_exists():
    render = renderer()
    requirements = render.load_requirements()
    assert len(requirements) == 232  # ASVS 5.0.0: L1+L2 without V10/V17, plus L3 of V11/V14/V16
    assert render.problems(requirements, render.load_mapping()) == []


def test_security_md_is_what_the_mapping_renders():
    assert renderer().main(["--check"]) == 0, "run python tools/render_asvs.py"


def test_a_test_that_does_not_exist_is_caught():
    render = renderer()
    here = "tests/security/test_asvs_mapping.py"
    assert render.test_exists(f"{here}::test_a_test_that_does_not_exist_is_caught")
    assert not render.test_exists(f"{here}::test_that_was_renamed")
    assert not render.test_exists("tests/no_such_file.py::test_x")
    mapping = {"V1.1.1": {"status": "met", "how": "x", "tests": [f"{here}::gone"]}}
    found = render.problems(
        [r for r in render.load_requirements() if r.req_id == "V1.1.1"], mapping
    )
    assert found == [f"V1.1.1: test {here}::gone does not exist"]
