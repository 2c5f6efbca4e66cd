"""Web forms of the intake pages: parse and type-check input, then hand plain values to services.

The rules themselves (dates in the future, ranges, coordinates, casualties, consent) live in
the services, so the JSON API enforces exactly the same ones; app/form_submission.py puts a
service's named errors back on the form's fields.
"""
