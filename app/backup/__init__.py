"""Backups: the database as portable JSON lines and the blobs as stored, with a manifest."""
