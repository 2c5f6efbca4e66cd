"""Case-file services: plain arguments and the current user in, rows out; the caller commits."""
