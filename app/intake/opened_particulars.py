"""Opening many incidents' sealed particulars at once, for lists, the map and the timeline.

Decrypt-and-filter opens the particulars of every incident a viewer may see on each incident
page (app/intake/services/search.py): an age decryption each, some 0.2 ms. So that a list of
thousands does not pay that on every page, a worker keeps what it opened, per app, keyed by
the incident, the exact sealed bytes and the identities it opened them with: a value rewritten
(an edit, a rotation) is new bytes and is opened afresh; a node that loses or changes its
identities opens nothing from before. Which incidents are opened is decided by the caller's
query, through the viewer, so the memo never hands a viewer an incident they may not see.

What it keeps is what a reading node holds anyway while it serves a page: the plaintext of
places and names, in the memory of a process that also holds the identity that opens them all.
An intake-only node opens nothing and keeps nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable

from flask import current_app

from app.intake.particulars import Particulars
from app.security.encrypted_type import current_sealer, field_context
from app.security.field_sealing import SealedKeyAbsent, unreadable
from app.security.field_setup import identities_held

MEMO_EXTENSION = "custos.opened_particulars"
MEMO_SIZE = 50_000  # incidents; a few hundred bytes each


class _Memo:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, tuple[str, Particulars]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> tuple[str, Particulars] | None:
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None:
                self.entries.move_to_end(key)
            return hit

    def put(self, key: tuple, value: tuple[str, Particulars]) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _memo() -> _Memo:
    return current_app.extensions.setdefault(MEMO_EXTENSION, _Memo(MEMO_SIZE))


def open_all(rows: Iterable[tuple[str, bytes | None]]) -> dict[str, tuple[str, Particulars]]:
    """(incident id, sealed particulars) rows -> id: (plaintext, particulars).

    A value sealed to a key this node does not hold opens as the sentence saying so; a value
    that fails authentication raises FieldDecryptionError, as it does on any page.
    """
    sealer = current_sealer()
    holder = tuple(sorted(str(identity.recipient) for identity in identities_held()))
    memo = _memo()
    opened: dict[str, tuple[str, Particulars]] = {}
    for incident_id, blob in rows:
        if blob is None:
            opened[incident_id] = ("", Particulars())
            continue
        blob = bytes(blob)
        key = (incident_id, hashlib.sha256(blob).digest(), holder)
        hit = memo.get(key)
        if hit is None:
            context = field_context("incidents", "particulars", incident_id)
            try:
                text: str = sealer.decrypt(blob, context)
            except SealedKeyAbsent:
                text = unreadable()
                hit = (text, Particulars.from_text(text))  # the sentence: not worth keeping
            else:
                hit = (text, Particulars.from_text(text))
                memo.put(key, hit)
        opened[incident_id] = hit
    return opened
