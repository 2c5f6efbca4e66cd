"""`flask demo load`: the demo investigation, with its accounts' credentials printed once."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.demo.banner import mark_demo_loaded, marker_path
from app.demo.loader import DemoRefused, LoadReport, load_demo
from app.demo.presence import database_contents
from app.demo.scenario import ScenarioError, load_scenario
from app.demo.world import DemoLoadFailed
from app.extensions import db

demo_cli = AppGroup("demo", help="The demo investigation (fictional content to try Custos with).")


@demo_cli.command("load")
@click.option(
    "--force",
    is_flag=True,
    help="Load even into a database that holds real data or the demo already (adds a copy, "
    "and gives the demo accounts new passwords and TOTP secrets).",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into an empty database; otherwise say so and succeed (for `make run`).",
)
def load(force: bool, if_empty: bool) -> None:
    """Load the demo investigation and print each demo account once, one a line:
    EMAIL<TAB>ROLE<TAB>PASSWORD<TAB>TOTP_SECRET (TOTP_SECRET is - without a second factor).

    Refuses a database holding real data (an account or investigation the demo did not make),
    or the demo already, unless --force."""
    if force and if_empty:
        raise click.UsageError("--force and --if-empty contradict each other; choose one.")
    try:
        scenario = load_scenario()
    except ScenarioError as exc:
        raise click.ClickException(f"The demo scenario file is inconsistent: {exc}") from None
    if if_empty:
        contents = database_contents(scenario.emails)
        if contents.demo_loaded and not contents.holds_real_data:
            click.echo(
                f"demo: already loaded ({', '.join(contents.demo_references)}); its accounts "
                "were printed when it was loaded."
            )
            return
        if not contents.empty:
            click.echo(
                "demo: this database already holds accounts or investigations; the demo is not "
                "loaded into it."
            )
            return
    try:
        report = load_demo(force=force)
    except DemoRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    except DemoLoadFailed as exc:
        db.session.rollback()
        signal_pages("demo partly loaded (the load stopped)")
        raise click.ClickException(f"The demo load stopped at {exc}") from None
    signal_pages(f"demo loaded: {report.reference}")
    click.echo(describe(report))


def signal_pages(note: str) -> None:
    """Tell running servers of this instance to show the banner from their next page."""
    try:
        mark_demo_loaded(current_app, note)
    except OSError as exc:
        click.echo(
            f"warning: could not write {marker_path(current_app)} ({exc.strerror}); restart "
            "running servers so their pages show the demo banner.",
            err=True,
        )


def describe(report: LoadReport) -> str:
    n = report.counts
    base = current_app.config["CUSTOS_BASE_URL"].rstrip("/")
    lines = [
        "",
        f"Demo investigation {report.reference} loaded in {report.seconds:.1f} s: "
        f"{n['incidents']} incidents in {n['governorates']} governorates, {n['witnesses']} "
        f"witnesses, {n['interviews']} interviews ({n['sealed']} sealed), {n['files']} files, "
        f"{n['casefiles']} case files.",
        "Every person, quote and image in it is fictional; every page says so while it is loaded.",
        "",
        "Demo accounts, shown only this once. One account a line: email, role, password, TOTP",
        "secret ('-' means no second factor). Lawyers and the admin add their TOTP secret to an",
        "authenticator app (Aegis, FreeOTP, Google Authenticator: 'enter a setup key') and type",
        "its 6-digit code after the password.",
        "",
        *(account.line() for account in report.accounts),
        "",
        f"Sign in at {base}/auth/login. The admin is not a member of {report.reference}: admins",
        "see content only through membership. Sign in as a lawyer or a field researcher to see",
        "the investigation.",
        "",
    ]
    return "\n".join(lines)
