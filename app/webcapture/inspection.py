"""One web capture's check as a document: what was read, the verdict, and what failed."""

from __future__ import annotations

from typing import Any, BinaryIO

from app.webcapture.limits import CaptureFailed, CaptureLimits
from app.webcapture.pageview import PageViews
from app.webcapture.trust import SignatureRoots
from app.webcapture.wacz import check_wacz
from app.webcapture.warcrecords import read_warc

PASSED, FAILED = "passed", "failed"
WACZ_TYPE = "application/wacz"


def inspect_capture(
    media_type: str,
    file: BinaryIO,
    limits: CaptureLimits,
    views: PageViews | None = None,
    roots: SignatureRoots | None = None,
) -> dict[str, Any]:
    """Check a WACZ package (media_type application/wacz) or a WARC file (plain or gzipped).

    The outcome is data, never an exception: `verdict` is "passed" or "failed", and a failure
    names its resource or record (`failure.where`) and the reason.
    """
    result: dict[str, Any] = {"package": "wacz" if media_type == WACZ_TYPE else "warc"}
    try:
        if media_type == WACZ_TYPE:
            check_wacz(file, limits, result, views, roots)
        else:
            reading = read_warc(file, "warc", limits, views)
            result["records"] = reading.records
            result["record_count"] = reading.count
            result["record_types"] = reading.by_type
            result["warcinfo"] = reading.warcinfo
    except CaptureFailed as failure:
        result["verdict"] = FAILED
        result["failure"] = {"where": failure.where, "reason": failure.reason}
        return result
    result["verdict"] = PASSED
    return result
