"""File upload into the vault: the streaming pass, its checks, multipart and form posts."""
