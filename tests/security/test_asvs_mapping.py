"""docs/security.md's ASVS mapping stays whole and true: every requirement, every named test,
and each "met" claim backed by a test that aims at the control meeting it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.security.asvs_controls import collected_node_ids, resolve, targets

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]


def renderer():
    spec = importlib.util.spec_from_file_location("render_asvs", ROOT / "tools" / "render_asvs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_asvs"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def met_claims() -> dict[str, dict]:
    return {k: v for k, v in renderer().load_mapping().items() if v["status"] == "met"}


def test_every_requirement_in_scope_is_mapped_and_every_named_test_exists():
    render = renderer()
    requirements = render.load_requirements()
    assert len(requirements) == 232  # ASVS 5.0.0: L1+L2 without V10/V17, plus L3 of V11/V14/V16
    assert render.problems(requirements, render.load_mapping()) == []


def test_security_md_is_what_the_mapping_renders():
    assert renderer().main(["--check"]) == 0, "run python tools/render_asvs.py"


def test_every_cited_test_is_collected_by_pytest():
    cited = {
        node_id
        for entry in renderer().load_mapping().values()
        for node_id in entry.get("tests") or []
    }
    files = sorted({node_id.split("::", 1)[0] for node_id in cited})
    assert cited - collected_node_ids(files) == set()


def test_every_control_of_a_met_claim_exists():
    missing = {}
    for req_id, entry in met_claims().items():
        for control in entry["control"]:
            try:
                resolve(control)
            except (ImportError, AttributeError) as exc:
                missing[req_id] = f"{control}: {exc}"
    assert missing == {}


def test_each_met_claim_cites_a_test_aimed_at_its_control():
    """A cited test that passes but never touches the control proves nothing about it."""
    unaimed = {
        req_id: entry["control"]
        for req_id, entry in met_claims().items()
        if not all(
            any(targets(node_id.split("::", 1)[0], control) for node_id in entry["tests"])
            for control in entry["control"]
        )
    }
    assert unaimed == {}


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
    assert f"V1.1.1: test {here}::gone does not exist" in found
    assert collected_node_ids([here]) >= {f"{here}::test_a_test_that_does_not_exist_is_caught"}


def test_a_met_claim_without_a_test_or_a_control_is_caught():
    render = renderer()
    requirement = [r for r in render.load_requirements() if r.req_id == "V1.1.1"]
    mapping = {"V1.1.1": {"status": "met", "how": "Because we say so."}}
    assert render.problems(requirement, mapping) == [
        "V1.1.1: met needs a test and the control it proves"
    ]


def test_a_test_that_never_reaches_the_control_is_caught():
    config_test = "tests/test_config.py"
    assert targets(config_test, "config:ProductionConfig")
    assert not targets(config_test, "app.security.headers:sandbox_evidence")
    # a route of the control's module, written as the test writes its URLs
    assert targets("tests/auth/test_login.py", "app.auth.routes:logout")
    assert not targets("tests/auth/test_passwords.py", "app.admin.routes.audit:audit")
