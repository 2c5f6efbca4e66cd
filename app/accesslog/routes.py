"""Views: an investigation's access report, as a page and as CSV (lawyers, leads, admins)."""

from __future__ import annotations

from flask import Response, render_template, request

from app.accesslog import bp
from app.accesslog.models import ReadKind
from app.accesslog.services import access_report, report_csv
from app.investigations.viewer import viewer_for

REPORT = "/<reference>/access-report"


def _filters() -> tuple[str, str]:
    label = request.args.get("object", "").strip()[:64]
    kind = request.args.get("kind", "")
    return label, kind if kind in set(ReadKind) else ""


@bp.route(REPORT)
def report(reference: str):
    viewer = viewer_for(reference)
    label, kind = _filters()
    return render_template(
        "accesslog/report.html",
        investigation=viewer.investigation,
        rows=access_report(viewer, label, kind),
        label=label,
        kind=kind,
        kinds=list(ReadKind),
    )


@bp.route(f"{REPORT}.csv")
def report_download(reference: str):
    viewer = viewer_for(reference)
    label, kind = _filters()
    body = report_csv(access_report(viewer, label, kind))
    name = f"access-report-{viewer.investigation.reference}.csv"
    return Response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
