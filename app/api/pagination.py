"""Pagination of API lists: `?page=&per_page=` in, {items, page, per_page, total, next} out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import request, url_for

from app.api.errors import ApiError

T = TypeVar("T")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
# 1,000,000 rows at the largest page size; keeps window() below the 100,000 pages the
# intake list services clamp to.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _bounded_int(name: str, default: int, maximum: int, problems: dict) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= maximum:
        problems[name] = [
            {
                "code": "out_of_range",
                "message": f"{name} must be a whole number from 1 to {maximum}.",
            }
        ]
        return default
    return int(raw)


def page_request() -> PageRequest:
    """The requested page; a value that is not a number in range is refused (400)."""
    problems: dict[str, list[dict[str, str]]] = {}
    page = _bounded_int("page", 1, MAX_PAGE, problems)
    per_page = _bounded_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, problems)
    if problems:
        raise ApiError(400, "invalid_query", "Some query parameters are not valid.", problems)
    return PageRequest(page=page, per_page=per_page)


def paginated(
    items: list[Any], total: int, wanted: PageRequest, query: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The list envelope; `next` is the path of the following page, with the same filters."""
    following = None
    if wanted.page * wanted.per_page < total and wanted.page < MAX_PAGE:
        following = url_for(
            request.endpoint,
            **(request.view_args or {}),
            **(query or {}),
            page=wanted.page + 1,
            per_page=wanted.per_page,
        )
    return {
        "items": items,
        "page": wanted.page,
        "per_page": wanted.per_page,
        "total": total,
        "next": following,
    }


def window(
    fetch_page: Callable[[int], tuple[Sequence[T], int]],
    service_page_size: int,
    wanted: PageRequest,
) -> tuple[list[T], int]:
    """The rows of `wanted`, and the total, from a service that lists in fixed-size pages.

    The intake and vault list services decide order, filters and who sees what, and page by
    a fixed size. Rather than re-implement their queries with another size, the API reads
    the one or few service pages that cover the requested rows and cuts them out.
    fetch_page(n) returns (the rows of service page n, the total number of rows).
    """
    start = wanted.offset
    end = start + wanted.per_page
    first = start // service_page_size + 1
    last = (end - 1) // service_page_size + 1
    rows: list[T] = []
    total = 0
    for number in range(first, last + 1):
        chunk, total = fetch_page(number)
        chunk = list(chunk)[:service_page_size]
        rows.extend(chunk)
        if len(chunk) < service_page_size:
            break
    skip = start - (first - 1) * service_page_size
    return rows[skip : skip + wanted.per_page], total
