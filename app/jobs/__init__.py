"""Background jobs: a `jobs` table of states and progress, and a runner (threads now, RQ later)."""
