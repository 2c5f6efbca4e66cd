"""Loading the demo investigation: the guard against real data, then each step through the services.

Nothing here inserts a row by hand: accounts, memberships, incidents, witnesses, consent,
interviews, seals, uploads and case files all go through the services a person's request
would use, so the demo exercises consent rules, sealing, custody entries and encryption
exactly as real use does, and cannot hold anything real use could not.

The load commits step by step (the vault commits each file as it is stored, and custody
entries can never be deleted), so a load refused halfway leaves the part already made; the
message says so, and the next run needs --force or an empty database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from app.admin.services import create_investigation, grant_membership
from app.casefiles.services.frameworks import load_shipped_frameworks
from app.demo.accounts import DemoAccount, provide_accounts
from app.demo.presence import DEMO_REFERENCE, database_contents, next_demo_reference
from app.demo.record_casefiles import record_casefiles
from app.demo.record_intake import record_incidents, record_interviews, record_witnesses
from app.demo.record_media import record_media
from app.demo.record_phone import record_phone_submissions
from app.demo.scenario import load_scenario
from app.demo.specs import Scenario, ScenarioError
from app.demo.world import DemoLoadFailed, DemoWorld, loading
from app.extensions import db
from app.intake.models import InterviewStatus
from app.intake.services.taxonomy import sync_taxonomies


class DemoRefused(RuntimeError):
    """The database is not one the demo may be loaded into without --force."""


@dataclass(frozen=True)
class LoadReport:
    reference: str
    accounts: tuple[DemoAccount, ...]
    counts: dict[str, int]
    seconds: float


def check_may_load(scenario: Scenario, force: bool) -> tuple[str, ...]:
    """The demo references already present; raises DemoRefused unless loading is safe."""
    contents = database_contents(scenario.emails)
    if force:
        return contents.demo_references
    if contents.holds_real_data:
        raise DemoRefused(
            "This database holds real data "
            f"({contents.real_users} account(s) and {contents.real_investigations} "
            "investigation(s) the demo did not create). The demo refuses to mix fictional "
            "content into it. Load the demo into an empty database, or pass --force to add it "
            "anyway (every page would then be labelled as demo content)."
        )
    if contents.demo_loaded:
        raise DemoRefused(
            f"The demo is already loaded ({', '.join(contents.demo_references)}); its accounts "
            "were printed when it was loaded. Pass --force to load another copy and print new "
            "passwords and TOTP secrets for the demo accounts."
        )
    return contents.demo_references


def load_demo(force: bool = False, scenario: Scenario | None = None) -> LoadReport:
    """Load the demo investigation (data/situation.yaml unless another scenario is given);
    refuses a database with real data or the demo already in it, unless forced."""
    started = time.monotonic()
    scenario = scenario or load_scenario()
    if scenario.reference != DEMO_REFERENCE:
        raise ScenarioError(f"the scenario's reference must be {DEMO_REFERENCE}")
    taken = check_may_load(scenario, force)

    # The shipped taxonomies the incidents and case files refer to (adds only what is missing).
    load_shipped_frameworks()
    sync_taxonomies()
    with loading("demo accounts"):
        accounts = provide_accounts(scenario)
    db.session.commit()

    admin = next(a.user for a in accounts.values() if a.user.role == "admin")
    with loading("the demo investigation"):
        investigation = create_investigation(
            next_demo_reference(taken), scenario.title, scenario.description, actor=admin
        )
        # The admin grants access and is not a member: admins see content only as members.
        for spec in scenario.accounts:
            if spec.member:
                grant_membership(
                    investigation,
                    accounts[spec.key].user,
                    actor=admin,
                    may_see_identities=spec.may_see_identities,
                )
    db.session.commit()

    world = DemoWorld(scenario, investigation, accounts)
    try:
        record_incidents(world)
        record_media(world)
        record_witnesses(world)
        record_interviews(world)
        record_phone_submissions(world)
        record_casefiles(world)
    except DemoLoadFailed as exc:
        raise DemoLoadFailed(
            f"{str(exc).rstrip('.')}. The database now holds part of the demo "
            f"({investigation.reference}); load again with --force, or start from an empty "
            "database."
        ) from exc
    db.session.commit()
    ordered = tuple(accounts[spec.key] for spec in scenario.accounts)
    return LoadReport(investigation.reference, ordered, counts(world), time.monotonic() - started)


def counts(world: DemoWorld) -> dict[str, int]:
    sealed = sum(1 for i in world.interviews.values() if i.status == InterviewStatus.SEALED)
    return {
        "incidents": len(world.incidents),
        "governorates": len({spec.governorate for spec in world.scenario.incidents}),
        "witnesses": len(world.witnesses),
        "interviews": len(world.interviews),
        "sealed": sealed,
        "files": len(world.evidence),
        "casefiles": len(world.casefiles),
    }
