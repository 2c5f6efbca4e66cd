"""Thin case-file views, split by page: case files, items, the matrix, exports."""
