"""How an incident's targets read on every page, list, export and API answer: each type's label,
and for "other" what it was, in the words of whoever recorded it."""

from __future__ import annotations

from typing import Any

OTHER_TARGET = "other"  # the target type whose note says what it was (app/taxonomy/targets.yaml)


def target_labels(incident: Any, in_english: bool = False) -> list[str]:
    """["School", "Other: bakery"]; the note only with "other", and only if it was given.
    In the reader's language, unless `in_english` (the case-file report, an English document)."""
    labels = []
    for target in incident.targets:
        if target.code == OTHER_TARGET and incident.target_note:
            labels.append(f"{_other(in_english)}: {incident.target_note}")
        else:
            labels.append(target.label if in_english else target.shown_label)
    return labels


def _other(in_english: bool) -> str:
    from flask import has_request_context
    from flask_babel import gettext as _

    return _("Other") if has_request_context() and not in_english else "Other"
