"""Chain of custody: ledger, canonical JSON, checkpoints (minisign), verification, fixity."""
