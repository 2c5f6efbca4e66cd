"""Blob stores: where age-encrypted evidence objects live (local folder or S3-compatible)."""
