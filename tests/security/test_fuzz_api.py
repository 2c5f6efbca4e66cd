"""Hostile input in every field of every JSON API operation: a clear JSON error, nothing stored.

tests/api/test_openapi.py lets schemathesis generate requests from the document, which mostly
stay inside the declared types. This file aims at what a hostile client sends instead: one
field at a time (nested ones too) replaced by NUL bytes, overlong or odd unicode, numbers far
beyond any column, NaN and Infinity, the wrong JSON type, dates that do not exist; bodies that
are not objects or not JSON; hostile query strings on every list and hostile ids in every path.
Every answer must be below 500, carry no stack trace, and a refusal (4xx) must have the API's
stable error shape and leave every table as it was. Hypothesis runs derandomized with a
bounded number of examples, so a run is reproducible and short.
"""

from __future__ import annotations

import copy
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.api.routes.openapi import openapi_document
from app.extensions import db
from app.security import org_keys
from tests.api.conftest import world  # noqa: F401 (the API's world of records, as a fixture)
from tests.api.helpers import error_of, incident_body, interview_body, witness_body
from tests.security.row_counts import row_counts
from tests.test_route_matrix import URL_RULES

EXAMPLES = 25
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
PREFIX = "/api/v1"
LEAKS = ("Traceback", 'File "/', "sqlalchemy", "psycopg", "Exception", "Error:")

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 64,
    "\r\n\t\x0b\x0c\x1b[31m",
    "\u202eevil\u202c",
    "\ufeff\u200b\u2028\u2029",
    "\U0001f4a9" * 40,
    "\ud800",
    "\udfff\ud800",
    "<script>alert(1)</script>",
    "'; DROP TABLE incidents; --",
    "../../../../etc/passwd",
    "%00%0d%0a",
    "{{7*7}}${7*7}",
    "9" * 400,
    "-" + "9" * 400,
    "1e309",
    "NaN",
    "Infinity",
    "9999-12-31",
    "0000-00-00",
    "2016-02-30",
    "99999-01-01",
    "-0001-01-01",
    "25:61",
    "x" * 70_000,
]
HOSTILE_NUMBERS = [
    0,
    -1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**400,
    1e308,
    -1e308,
    5e-324,
    0.5,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
]
WRONG_TYPES = [None, [], {}, [None], ["\x00"], [[]], {"": None}, {"$gt": ""}, [1, "a", None]]
HOSTILE_VALUE = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(WRONG_TYPES),
    st.text(max_size=40),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=10), max_size=3),
)
NOT_AN_OBJECT = [b"", b"null", b"[]", b'"text"', b"1", b"{", b"\x00", b'{"a":' * 500, b"\xff\xfe"]


def schema_of(ref_or_schema: dict) -> dict:
    components = openapi_document()["components"]["schemas"]
    if "$ref" in ref_or_schema:
        return schema_of(components[ref_or_schema["$ref"].rsplit("/", 1)[1]])
    return ref_or_schema


def field_paths(schema: dict, prefix: tuple = ()) -> list[tuple]:
    """Every property of a body, nested objects' properties and arrays' first items too."""
    paths = []
    for name, sub in schema_of(schema).get("properties", {}).items():
        sub = schema_of(sub)
        path = (*prefix, name)
        paths.append(path)
        if sub.get("type") == "object" and "properties" in sub:
            paths += field_paths(sub, path)
        if sub.get("type") == "array":
            paths.append((*path, 0))
    return paths


def with_value(body: dict, path: tuple, value):
    """A copy of `body` with the field at `path` set to `value` (made if absent)."""
    body = copy.deepcopy(body)
    node = body
    for step in path[:-1]:
        if isinstance(step, int):
            if not node:
                node.append(None)
            if not isinstance(node[step], dict | list):
                node[step] = {} if isinstance(path[path.index(step) + 1], str) else []
        elif not isinstance(node.get(step), dict | list):
            node[step] = [] if isinstance(path[path.index(step) + 1], int) else {}
        node = node[step]
    last = path[-1]
    if isinstance(last, int):
        if node:
            node[last] = value
        else:
            node.append(value)
    else:
        node[last] = value
    return body


def json_operations() -> list[tuple[str, str, dict]]:
    """(method, path template, body schema) of every operation that takes a JSON body."""
    found = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            content = (
                operation.get("requestBody", {}).get("content", {})
                if isinstance(operation, dict)
                else {}
            )
            if "application/json" in content:
                found.append((method.upper(), path, content["application/json"]["schema"]))
    return sorted(found, key=lambda op: (op[1], op[0]))


JSON_OPERATIONS = json_operations()


def query_names(operation: dict) -> list[str]:
    parameters = openapi_document()["components"]["parameters"]
    resolved = [
        parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in operation.get("parameters", [])
    ]
    return [p["name"] for p in resolved if p.get("in") == "query"]


# Every GET operation and its query parameters (hostile ones of no meaning are sent too).
READ_OPERATIONS = sorted(
    (path, query_names(item["get"]))
    for path, item in openapi_document()["paths"].items()
    if "get" in item
)


class Records:
    """A field worker's token and records of theirs, for path values and valid bodies."""

    def __init__(self, api_world):
        for membership in api_world.investigation.memberships:
            membership.may_see_identities = membership.user_id == api_world.field_a.id
        db.session.commit()
        self.api = api_world.api(api_world.field_a)
        self.ref = api_world.ref
        api = self.api
        self.incident = api.post(api_world.path("/incidents"), json=incident_body()).get_json()[
            "id"
        ]
        self.witness = api.post(api_world.path("/witnesses"), json=witness_body()).get_json()["id"]
        self.interview = api.post(
            api_world.path("/interviews"),
            json=interview_body(self.witness, incident_ids=[self.incident]),
        ).get_json()["id"]
        upload = api.upload(api_world.path("/evidence"), b"notes of the interview\n", "notes.txt")
        self.evidence = upload.get_json()["id"]

    def path_values(self) -> dict[str, str]:
        return {
            "reference": self.ref,
            "incident_id": self.incident,
            "witness_id": self.witness,
            "interview_id": self.interview,
            "evidence_id": self.evidence,
        }

    def url(self, template: str, **override) -> str:
        values = {**self.path_values(), **override}
        return PREFIX + re.sub(r"\{([a-z_]+)\}", lambda m: str(values[m.group(1)]), template)

    def valid_body(self, method: str, path: str) -> dict:
        bodies = {
            ("POST", "/investigations/{reference}/incidents"): incident_body(),
            ("POST", "/investigations/{reference}/witnesses"): witness_body(),
            ("POST", "/investigations/{reference}/interviews"): interview_body(
                self.witness, incident_ids=[self.incident]
            ),
            ("PUT", "/investigations/{reference}/interviews/{interview_id}"): interview_body(
                self.witness, incident_ids=[self.incident]
            ),
            ("POST", "/investigations/{reference}/interviews/{interview_id}/addenda"): {
                "text": "A correction of the date."
            },
            ("POST", "/investigations/{reference}/interviews/{interview_id}/evidence"): {
                "evidence_id": self.evidence,
                "role": "attachment",
            },
            ("POST", "/investigations/{reference}/evidence/{evidence_id}/incidents"): {
                "incident_id": self.incident,
                "shows": "aftermath",
                "note": "Rubble of the east wing.",
            },
            ("PUT", "/investigations/{reference}/evidence/{evidence_id}/acquisition"): {
                "online_link": "https://video.example/watch?v=1",
                "online_title": "Strike on the bakery",
                "acquired_at": "2026-03-01T09:30:00Z",
                "method": "download",
                "method_note": "saved from the page",
                "generation": "copy",
                "original_location": "the uploader's channel",
                "edited": "no",
                "hashes_at_acquisition": "md5:0123456789abcdef0123456789abcdef",
            },
            ("POST", "/investigations/{reference}/witnesses/{witness_id}/consent/withdraw"): {
                "language": "Arabic",
                "obtained_on": "2016-05-03",
            },
        }
        if (method, path) == ("POST", "/custody/cosign"):
            return cosign_body(self.ref)
        assert (method, path) in bodies, f"add a valid body for {method} {path} in this file"
        return bodies[(method, path)]


def cosign_body(reference: str) -> dict:
    """A genuine cosign request for the world's ledger; the instance is its own witness here,
    configured (by `records`) to serve its own log key."""
    from app.custody.cosign_log import cosign_request

    witness_key = org_keys.minisign_public_key()
    return json.loads(cosign_request(reference, witness_key))


@pytest.fixture
def records(app, world, monkeypatch):  # noqa: F811 (the fixture imported above)
    # The cosign witness endpoint is off by default: on here, so that it is fuzzed for real.
    keys = [org_keys.minisign_public_key()]
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_WITNESS_LOG_KEYS", keys)
    # Its per-address limit would answer 429 to the fuzzer's hundreds of requests.
    monkeypatch.setitem(app.config, "CUSTOS_CUSTODY_COSIGN_RATE_LIMIT", "100000 per minute")
    return Records(world)


def check_answer(response, before: dict[str, int]) -> None:
    """Below 500, no leak; a refusal has the stable JSON shape and stored nothing."""
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, text[:300])
    assert not any(leak in text for leak in LEAKS if leak not in ("Exception", "Error:")), text
    assert "Traceback" not in text
    if response.status_code >= 400:
        error_of(response)
        after = row_counts()
        assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_every_json_operation_is_fuzzed():
    assert len(JSON_OPERATIONS) >= 7
    documented = {(m, p) for m, p, _ in JSON_OPERATIONS}
    assert ("PUT", "/investigations/{reference}/interviews/{interview_id}") in documented
    api_writes = {
        (method, re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule[len(PREFIX) :]))
        for _, rule, methods in URL_RULES
        if rule.startswith(PREFIX)
        for method in methods & {"POST", "PUT", "PATCH"}
    }
    # The raw-body upload and the body-less seal take no JSON; everything else does.
    raw = {
        ("POST", "/investigations/{reference}/evidence"),
        ("POST", "/investigations/{reference}/interviews/{interview_id}/seal"),
    }
    assert api_writes - raw == documented


def each_operation(operations, check) -> None:
    """Run `check` for every operation with one shared set of records; report every failure."""
    failures = []
    for operation in operations:
        try:
            check(*operation)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (reported below)
            failures.append(f"{operation[:2]}: {str(exc)[:2000]}")
    assert not failures, "\n\n".join(failures)


def test_hostile_value_in_any_field(app, records):
    def check(method, path, schema):
        base = records.valid_body(method, path)
        paths = field_paths(schema)
        assert paths

        @given(where=st.sampled_from(paths), value=HOSTILE_VALUE)
        @FUZZ
        def hostile(where, value):
            before = row_counts()
            raw = json.dumps(with_value(base, where, value), allow_nan=True).encode()
            response = records.api.open(
                records.url(path), method, data=raw, headers={"Content-Type": "application/json"}
            )
            check_answer(response, before)

        hostile()

    each_operation(JSON_OPERATIONS, check)


def test_bodies_that_are_not_an_object_or_not_json(app, records):
    def check(method, path, schema):
        url = records.url(path)
        extra_field = {**records.valid_body(method, path), "is_admin": True, "__proto__": {}}
        bodies = [(raw, "application/json") for raw in NOT_AN_OBJECT]
        bodies += [(json.dumps(extra_field).encode(), "application/json")]
        bodies += [(b"a=1&b=2", "application/x-www-form-urlencoded"), (b"<x/>", "text/xml")]
        bodies += [(json.dumps(records.valid_body(method, path)).encode(), "text/plain")]
        for raw, content_type in bodies:
            before = row_counts()
            response = records.api.open(
                url, method, data=raw, headers={"Content-Type": content_type}
            )
            check_answer(response, before)
            if raw in NOT_AN_OBJECT or content_type != "application/json":
                assert response.status_code in (400, 415, 422), (raw[:20], response.status_code)

    each_operation(JSON_OPERATIONS, check)


def raw_query(query: dict[str, str]) -> str:
    """A query string as bytes on the wire: lone surrogates become invalid UTF-8 sequences."""
    return "&".join(
        f"{quote(name)}={quote(value, safe='', errors='surrogatepass')}"
        for name, value in query.items()
    )


def test_hostile_query_strings(app, records):
    def check(path, names):
        names = [*names, "page", "per_page", "cursor", "sort"]

        @given(
            query=st.dictionaries(
                st.sampled_from(names),
                st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=30)),
                min_size=1,
                max_size=4,
            )
        )
        @FUZZ
        def hostile(query):
            before = row_counts()
            response = records.api.get(records.url(path) + "?" + raw_query(query))
            check_answer(response, before)
            if response.status_code == 200:
                assert response.is_json

        hostile()

    each_operation(READ_OPERATIONS, check)


READ_PATHS = {path for path, _ in READ_OPERATIONS}
PATH_TEMPLATES = sorted({path for _, path, _ in JSON_OPERATIONS} | READ_PATHS)
ODD_IDS = ["\x00", "%00", "x" * 5000, "..%2F..", "' OR 1=1 --", "\U0001f4a9", "-1", "0", "1e9"]


def test_hostile_ids_in_every_path(app, records):
    wrong = []
    for template in PATH_TEMPLATES:
        for name in re.findall(r"\{([a-z_]+)\}", template):
            for odd in ODD_IDS:
                before = row_counts()
                method = "GET" if template in READ_PATHS else "POST"
                response = records.api.open(records.url(template, **{name: odd}), method, json={})
                check_answer(response, before)
                if response.status_code not in (404, 405):
                    wrong.append((template, name, odd[:10], response.status_code))
    assert wrong == []
