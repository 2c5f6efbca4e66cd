"""Resumable uploads (tus 1.0): sessions, leases, the age stream between requests, blob writes."""
