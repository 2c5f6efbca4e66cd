"""File and signature formats with no Flask and no database: age, minisign, canonical JSON,
fsync, RFC 9162 Merkle trees and C2SP checkpoint notes.

Nothing here imports flask, sqlalchemy or another `app` package (tests/crypto checks it), so
the vault, custody, security, case files and the CLI can all build on it without a cycle.
"""
