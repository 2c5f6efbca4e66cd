"""Names of files inside an exported bag cannot climb out of their folder or disguise themselves."""

from __future__ import annotations

import pytest

from app.casefiles.services.bag_files import safe_name

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("photo\u202egpj.exe", "photo_gpj.exe"),  # a right-to-left override would show "exe.jpg"
        ("a\\b\nc", "a_b_c"),
        ("...", "original"),
        ("", "original"),
        ("صورة المستشفى.jpg", "صورة المستشفى.jpg"),
    ],
)
def test_bag_file_names_are_made_safe(given, expected):
    assert safe_name(given, "original") == expected
