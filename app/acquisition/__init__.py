"""The Berkeley Protocol's record of each evidence item: how, when and from whom it was acquired."""

from flask import Blueprint

bp = Blueprint("acquisition", __name__)

from app.acquisition import routes  # noqa: E402,F401  (registers the views)
