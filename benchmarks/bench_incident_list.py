"""The incident list, map and timeline of an investigation holding 500 incidents: server time.

Issue 17, item 1 seals incident places, areas, coordinates and alleged perpetrators, so the
reading node decrypts them in Python to filter and to show them instead of asking SQL. This
times what that costs where it costs most: every page of an investigation with 500 incidents,
each with a place, an area (one of twelve), coordinates, two alleged perpetrators and a
description, as a field researcher (no second factor) sees them through the app (routes,
services, templates; a Flask test client, no network). Each request is timed REPEATS times
after one warm-up; the table gives the median and the worst. A worker keeps the particulars
it opened (app/intake/opened_particulars.py); the "cold" rows empty that memo before every
request, so each opens all 500 values again, as the first page a new worker serves does. The
baseline, measured in the same run, is the investigation's overview page, which reads no
incident.

    .venv/bin/python benchmarks/bench_incident_list.py [--incidents 500] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_custody_verify import build_app  # noqa: E402 - a new instance
from benchmarks.budgets import record  # noqa: E402

BUDGET_MS = 300.0  # issue 7, item 3: no page over 300 ms server time
AREAS = tuple(f"Governorate {n:02d}" for n in range(12))
PERPETRATORS = ("Air force", "Allied militia", "Artillery brigade 4", "Unknown armed group")


def populate(app, count: int) -> tuple[str, str]:
    """`count` incidents recorded through the service; (investigation reference, user id)."""
    from app.extensions import db
    from app.intake.services.incidents import IncidentInput, create_incident
    from app.intake.services.taxonomy import sync_taxonomies
    from tests.helpers.factories import InvestigationFactory, MembershipFactory, UserFactory

    with app.app_context():
        sync_taxonomies()
        investigation = InvestigationFactory(reference="INV-2024-INCIDENTS")
        user = UserFactory(role="field_researcher", email="bench-field@example.org")
        MembershipFactory(user=user, investigation=investigation)
        db.session.commit()
        start = date(2016, 1, 1)
        for n in range(count):
            create_incident(
                investigation,
                user,
                IncidentInput(
                    time_certainty="day",
                    start_date=start + timedelta(days=n % 900),
                    place_name=f"Place {n:04d} near the old market",
                    admin_area=AREAS[n % len(AREAS)],
                    latitude=36.0 + (n % 97) / 100,
                    longitude=37.0 + (n % 89) / 100,
                    precision_m=50,
                    perpetrators=[PERPETRATORS[n % 4], PERPETRATORS[(n + 1) % 4]],
                    weapon_code="guided_bomb",
                    target_codes=["medical_facility"],
                    killed=n % 30,
                    injured=n % 50,
                    casualties_reported_by="Civil defence",
                    description=f"Strike number {n} on the market street.",
                ),
            )
            if n % 100 == 99:
                db.session.commit()
        db.session.commit()
        return investigation.reference, user.email


def time_pages(app, reference: str, email: str, repeats: int) -> dict[str, list[float]]:
    from tests.helpers.web import DEFAULT_PASSWORD, post_form

    try:  # absent before incident particulars were sealed: nothing to empty then
        from app.intake.opened_particulars import MEMO_EXTENSION
    except ImportError:
        MEMO_EXTENSION = "none"  # noqa: N806

    base = f"/investigations/{reference}"
    pages = {
        "overview (baseline)": base,
        "incident list": f"{base}/incidents",
        "incident list, page 5": f"{base}/incidents?page=5",
        "incident list, q=market 0042": f"{base}/incidents?q=Place+0042",
        "incident list, area filter": f"{base}/incidents?area=Governorate+03",
        "incident list, perpetrator filter": f"{base}/incidents?perpetrator=militia",
        "incident map (page)": f"{base}/incidents/map",
        "incident map (markers JSON)": f"{base}/incidents/map.json",
        "incident timeline": f"{base}/incidents/timeline",
        "incident list, cold": f"{base}/incidents",
        "incident map (markers JSON), cold": f"{base}/incidents/map.json",
        "incident timeline, cold": f"{base}/incidents/timeline",
    }
    times: dict[str, list[float]] = {}
    with app.app_context():
        client = app.test_client()
        response = post_form(client, "/auth/login", {"email": email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, response.status_code
        for label, url in pages.items():
            warm = client.get(url)
            if warm.status_code != 200:
                raise SystemExit(f"{label}: {url} answered {warm.status_code}")
            samples = []
            for _ in range(repeats):
                if label.endswith(", cold"):
                    app.extensions.pop(MEMO_EXTENSION, None)
                started = time.perf_counter()
                answer = client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (url, answer.status_code)
            times[label] = samples
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    with tempfile.TemporaryDirectory(prefix="custos-bench-incidents-") as folder:
        app = build_app(Path(folder))
        started = time.perf_counter()
        reference, email = populate(app, args.incidents)
        print(f"recorded {args.incidents} incidents in {time.perf_counter() - started:.1f}s")
        times = time_pages(app, reference, email, args.repeats)
    print(f"{'page':<36} {'median ms':>10} {'worst ms':>10}")
    worst_over = False
    for label, samples in times.items():
        median, worst = statistics.median(samples), max(samples)
        print(f"{label:<36} {median:10.1f} {worst:10.1f}")
        if label != "overview (baseline)":
            within = median <= BUDGET_MS
            worst_over |= not within
            record(
                "bench_incident_list",
                f"{label}, {args.incidents} incidents",
                f"median {median:.0f} ms, worst {worst:.0f} ms",
                within,
            )
    print(f"budget: median within {BUDGET_MS:.0f} ms (SQLite, test client, no network)")
    return 1 if worst_over else 0


if __name__ == "__main__":
    sys.exit(main())
