"""Web captures (WACZ packages, WARC files): checked after intake without trusting the package."""
