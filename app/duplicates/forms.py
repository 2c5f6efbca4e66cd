"""The reviewer's decision on a suggested near-duplicate, posted with a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from app.duplicates.decisions import Decision


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired(), AnyOf([d.value for d in Decision])])
