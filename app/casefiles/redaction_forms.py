"""The form for redacting a video, recording or PDF by numbers: boxes, spans and page areas.

Boxes are typed as percentages of the upright picture (or page): left edge, top edge, width
and height, so the form works from a keyboard alone. A row left wholly empty is not used; a
row filled in part is refused with its number. The services check the rest (spans within the
media's length, pages that exist, something to remove).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, SubmitField
from wtforms.validators import NumberRange, Optional, StopValidation

from app.casefiles.services.errors import CaseFileError

BOX_ROWS = 4
SPAN_ROWS = 4
AREA_ROWS = 4
EDGES = ("x", "y", "w", "h")
MAX_PAGE = 100_000


def _finite(form: Any, field: Any) -> None:
    """NaN and infinities parse as decimals but are no position or time (and NaN compares by
    raising): refused before NumberRange compares them."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(str(_l("Give a number.")))


def _page_number(form: Any, field: Any) -> None:
    # Compared as integers: NumberRange would turn a 30-digit number into a float and overflow.
    if field.data is not None and not 1 <= field.data <= MAX_PAGE:
        raise StopValidation(str(_l("Pages are numbered from 1 to %(most)d.", most=MAX_PAGE)))


def _percent(label: Any) -> DecimalField:
    return DecimalField(label, places=None, validators=[Optional(), _finite, NumberRange(0, 100)])


def _seconds(label: Any) -> DecimalField:
    return DecimalField(label, places=None, validators=[Optional(), _finite, NumberRange(min=0)])


def _edges(prefix: str, n: int) -> dict[str, DecimalField]:
    if prefix == "box":
        labels = (
            _l("Left edge, %% of the width (box %(n)d)", n=n),
            _l("Top edge, %% of the height (box %(n)d)", n=n),
            _l("Width, %% of the picture (box %(n)d)", n=n),
            _l("Height, %% of the picture (box %(n)d)", n=n),
        )
    else:
        labels = (
            _l("Left edge, %% of the width (area %(n)d)", n=n),
            _l("Top edge, %% of the height (area %(n)d)", n=n),
            _l("Width, %% of the page (area %(n)d)", n=n),
            _l("Height, %% of the page (area %(n)d)", n=n),
        )
    return {f"{prefix}{n}_{e}": _percent(label) for e, label in zip(EDGES, labels, strict=True)}


class MediaRedactForm(FlaskForm):
    sound = SelectField(
        _l("Muted spans become"),
        choices=[("silence", _l("Silence")), ("bleep", _l("A bleep"))],
        default="silence",
    )
    preview = SubmitField(_l("Preview what will be removed"))
    save = SubmitField(_l("Save redacted copy"))

    def _value(self, name: str) -> Any:
        return getattr(self, name).data

    def _row(self, names: list[str], message: str, where: str) -> list[Any] | None:
        values = [self._value(name) for name in names]
        if all(v is None for v in values):
            return None
        if any(v is None for v in values):
            raise CaseFileError(message, where)
        return values

    def media_raw(self) -> dict[str, Any]:
        """The boxes and muted spans, as app/casefiles/services/media_redaction takes them."""
        regions = []
        for n in range(1, BOX_ROWS + 1):
            edges = self._row(
                [f"box{n}_{e}" for e in EDGES],
                f"Box {n}: give its left edge, top edge, width and height.",
                "regions",
            )
            start, end = self._value(f"box{n}_start"), self._value(f"box{n}_end")
            if edges is None:
                if start is not None or end is not None:
                    raise CaseFileError(f"Box {n} has times but no position.", "regions")
                continue
            region = {e: float(v) / 100 for e, v in zip(EDGES, edges, strict=True)}
            region["style"] = self._value(f"box{n}_style")
            if start is not None or end is not None:
                if start is None or end is None:
                    raise CaseFileError(f"Box {n}: give both a start and an end.", "regions")
                region.update(start=float(start), end=float(end))
            regions.append(region)
        mute = []
        for n in range(1, SPAN_ROWS + 1):
            span = self._row(
                [f"mute{n}_start", f"mute{n}_end"],
                f"Muted span {n}: give both a start and an end.",
                "mute",
            )
            if span is not None:
                mute.append([float(v) for v in span])
        return {"regions": regions, "mute": mute, "sound": self.sound.data}

    def pdf_raw(self) -> list[dict[str, Any]]:
        """The page areas, as app/casefiles/services/pdf_redaction takes them."""
        areas = []
        for n in range(1, AREA_ROWS + 1):
            values = self._row(
                [f"area{n}_page"] + [f"area{n}_{e}" for e in EDGES],
                f"Area {n}: give its page, left edge, top edge, width and height.",
                "areas",
            )
            if values is not None:
                area = {e: float(v) / 100 for e, v in zip(EDGES, values[1:], strict=True)}
                area["page"] = int(values[0])
                areas.append(area)
        return areas


for _n in range(1, BOX_ROWS + 1):
    for _name, _field in _edges("box", _n).items():
        setattr(MediaRedactForm, _name, _field)
    setattr(MediaRedactForm, f"box{_n}_start", _seconds(_l("From second (box %(n)d)", n=_n)))
    setattr(MediaRedactForm, f"box{_n}_end", _seconds(_l("To second (box %(n)d)", n=_n)))
    setattr(
        MediaRedactForm,
        f"box{_n}_style",
        SelectField(
            _l("Covered by (box %(n)d)", n=_n),
            choices=[("black", _l("Black")), ("blur", _l("Blur"))],
            default="black",
        ),
    )
for _n in range(1, SPAN_ROWS + 1):
    setattr(MediaRedactForm, f"mute{_n}_start", _seconds(_l("From second (span %(n)d)", n=_n)))
    setattr(MediaRedactForm, f"mute{_n}_end", _seconds(_l("To second (span %(n)d)", n=_n)))
for _n in range(1, AREA_ROWS + 1):
    setattr(
        MediaRedactForm,
        f"area{_n}_page",
        IntegerField(_l("Page (area %(n)d)", n=_n), validators=[Optional(), _page_number]),
    )
    for _name, _field in _edges("area", _n).items():
        setattr(MediaRedactForm, _name, _field)
