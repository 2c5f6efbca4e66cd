"""Intake services: plain arguments and the current user in, model rows out; the caller commits.

Used by the web routes (app/intake/routes) and the JSON API alike. None of them reads the
request; validation errors are IntakeValidationError with named codes (app/intake/errors.py).
"""
