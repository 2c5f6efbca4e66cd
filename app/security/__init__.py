"""Security primitives: passwords, TOTP, headers/CSP, field encryption, keys."""
