"""Chain of custody: ledger, checkpoints, verification, fixity."""
