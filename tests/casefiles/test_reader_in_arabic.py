"""Issue 21, done when: "a reader who chose Arabic sees weapon, target and legal-element labels
in Arabic" — chosen on the settings page, then read on the incident page and the matrix (the
browser does the same in tests/e2e/test_arabic_labels.py)."""

from __future__ import annotations

from tests.helpers.web import post_form

ARABIC = {
    "weapon": "قنبلة موجّهة",
    "target": "مستشفى أو منشأة طبية",
    "crime": "الهجوم على أعيان محمية: المستشفيات والمدارس وأماكن العبادة وغيرها",
    "element": "وجّه مرتكب الجريمة هجوماً.",
    "nexus": "الصلة بالنزاع: صدر السلوك في سياق نزاع مسلح غير ذي طابع دولي وكان مقترناً به.",
}
ENGLISH = ("Guided bomb", "Hospital or medical facility", "The perpetrator directed an attack.")


def test_a_reader_who_chose_arabic_sees_the_labels_in_arabic(built_case, signed_in):
    w = built_case
    client = signed_in(w.author)
    assert post_form(client, "/auth/settings/language", {"language": "ar"}).status_code == 302
    base = f"/investigations/{w.investigation.reference}"
    incident = client.get(f"{base}/incidents/{w.incident.id}").get_data(as_text=True)
    matrix = client.get(f"{base}/cases/{w.casefile.reference}/matrix").get_data(as_text=True)
    assert ARABIC["weapon"] in incident and ARABIC["target"] in incident
    for key in ("crime", "element", "nexus"):
        assert ARABIC[key] in matrix, key
    assert not [english for english in ENGLISH if english in incident + matrix]
