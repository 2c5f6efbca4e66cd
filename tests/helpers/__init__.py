"""Shared test helpers: factories, CSRF-aware form posting and signing in as a user."""
