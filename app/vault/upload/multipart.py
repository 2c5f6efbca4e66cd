"""multipart/form-data uploads parsed incrementally, each file part streamed into an IntakeWriter.

Werkzeug's form parser spools every file to a temporary file before the view runs (so a
4 GiB upload would be written to disk in clear, then copied); here the body is read in
READ_SIZE pieces with werkzeug's sans-IO MultipartDecoder and each piece goes straight to
hashing and encryption. The CSRF token must arrive before the first file part (browsers send
fields in document order, and the form puts the token first) or in the X-CSRFToken header,
so nothing is stored for a forged request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.sansio.multipart import (
    LINE_BREAK_RE,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    State,
)

from app.custody.receipts import entries_for
from app.investigations.models import Investigation
from app.vault.incident_links import UploadLink, upload_link
from app.vault.models import EvidenceItem
from app.vault.upload.checks import shown_filename
from app.vault.upload.stream import IntakeRefused, IntakeWriter, begin_intake

# Each piece read is copied three or four times on its way (the server's buffers, the
# decoder's buffer and the data it hands out): at 1 MiB those copies made a web worker's
# peak RSS 9-11 MB above its idle RSS (docs/performance.md, "A web worker's memory").
READ_SIZE = 256 * 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_PARTS = 200
# Part headers and the preamble are buffered until complete; a body that never ends its
# headers must not grow the buffer without bound.
MAX_HEADER_BUFFER = 256 * 1024
FACT_FIELDS = ("captured_at", "location", "captured_by", "device", "notes")
# The incident every file of the form is tied to (optional); checked before the first file.
LINK_FIELDS = ("incident_id", "shows", "incident_note")


class MalformedUpload(ValueError):
    """The body is not the multipart/form-data it claims to be, or it broke off.

    `outcomes` says what happened to each file before that point: files that arrived whole
    are stored (each is complete and atomic), the one cut off is refused as incomplete.
    """

    def __init__(self, message: str, outcomes: list[IntakeOutcome] | None = None) -> None:
        super().__init__(message)
        self.outcomes = outcomes or []


class MissingCsrfToken(ValueError):
    """A file part arrived before any CSRF token."""


@dataclass
class IntakeOutcome:
    filename: str
    item: EvidenceItem | None = None
    refusal: IntakeRefused | None = None


@dataclass
class _Upload:
    facts: dict[str, str] = field(default_factory=dict)
    link_fields: dict[str, str] = field(default_factory=dict)
    link: UploadLink | None = None
    link_checked: bool = False
    form_fields: dict[str, str] = field(default_factory=dict)  # the caller's own small fields
    on_recorded: Callable[[EvidenceItem], None] | None = None
    csrf_checked: bool = False
    outcomes: list[IntakeOutcome] = field(default_factory=list)
    writer: IntakeWriter | None = None
    current: IntakeOutcome | None = None


class _Decoder(MultipartDecoder):
    """werkzeug's decoder (3.1), handing out each piece of a part with one copy instead of three.

    Its _parse_data copied the buffer's tail to look for a split boundary in it, and each
    piece twice (a bytearray slice, then bytes of it): per GiB received, 3 GiB of copies made
    holding the GIL, and two pieces alive at once. Same events, same positions, same state.
    """

    def _parse_data(self, data: bytes | bytearray, *, start: bool) -> tuple[bytes, int, bool]:
        data_start = LINE_BREAK_RE.match(data).end() if start else 0  # type: ignore[union-attr]
        match = None
        if self.buffer.find(b"--" + self.boundary) != -1:
            match = self.boundary_re.search(data)
        if match is not None:
            self.state = State.EPILOGUE if match.group(1).startswith(b"--") else State.PART
            data_end, del_index = match.start(), match.end()
        else:
            data_end = del_index = self._partial_boundary_index(data, data_start)
        with memoryview(data) as view:
            piece = bytes(view[data_start:data_end])
        return piece, del_index, match is None

    def _partial_boundary_index(self, data: bytes | bytearray, start: int) -> int:
        """_last_partial_boundary_index(data[start:]) + start, without copying data[start:]."""
        complete_boundary_index = len(data) - len(b"\r\n--" + self.boundary)
        found = []
        for line_break in (b"\n", b"\r"):
            index = data.rfind(line_break, start)
            found.append(len(data) if index < max(start, complete_boundary_index) else index)
        return min(found)


def iter_multipart_events(read: Callable[[int], bytes], boundary: bytes) -> Iterator[Any]:
    """Decoder events (Field, File, Data, Epilogue), reading the body only as they are needed."""
    decoder = _Decoder(boundary, max_parts=MAX_PARTS)
    while True:
        try:
            event = decoder.next_event()
        except ValueError as exc:
            raise MalformedUpload(str(exc)) from None
        if isinstance(event, NeedData):
            chunk = read(READ_SIZE)
            decoder.receive_data(chunk or None)
            chunk = None  # the decoder holds its own copy: not two of each piece
            if len(decoder.buffer) > READ_SIZE + MAX_HEADER_BUFFER:
                raise MalformedUpload("multipart headers too long")
            continue
        yield event
        if isinstance(event, Epilogue):
            return


def receive_multipart(
    investigation: Investigation,
    user: Any,
    read: Callable[[int], bytes],
    boundary: bytes,
    check_csrf: Callable[[str], None],
    csrf_checked: bool,
    form_fields: dict[str, str] | None = None,
    on_recorded: Callable[[EvidenceItem], None] | None = None,
    posted: dict[str, str] | None = None,
) -> list[IntakeOutcome]:
    """Store every file part of a multipart body; one outcome per file, in order.

    check_csrf(token) raises if the token is invalid; csrf_checked says the caller already
    validated a token from a header. A refused file does not stop the others; an incident
    that may not be chosen (IntakeRefused "bad_incident_link") refuses the whole upload before
    any file is stored.
    form_fields: names the caller reads (a field sent before the files is there when they
    arrive), filled in place; on_recorded(item) runs in each stored item's own transaction.
    posted: filled in place with the capture and incident fields read, so that a form sent
    without a file can come back as it was filled.
    """
    state = _Upload(
        csrf_checked=csrf_checked,
        form_fields=form_fields if form_fields is not None else {},
        on_recorded=on_recorded,
    )
    field_name: str | None = None
    field_value = bytearray()
    try:
        for event in iter_multipart_events(read, boundary):
            if isinstance(event, Field):
                field_name, field_value = event.name, bytearray()
            elif isinstance(event, File):
                field_name = None
                if not state.csrf_checked:
                    raise MissingCsrfToken("a file arrived before the form's CSRF token")
                _start_file(state, investigation, user, event.filename)
            elif isinstance(event, Data):
                if field_name is not None:
                    field_value += event.data
                    if len(field_value) > MAX_FIELD_BYTES:
                        raise MalformedUpload("a form field is too long")
                    if not event.more_data:
                        _take_field(state, field_name, bytes(field_value), check_csrf)
                        field_name = None
                else:
                    _file_data(state, event.data, event.more_data)
    except (MalformedUpload, ClientDisconnected) as exc:
        if state.writer is not None:
            state.writer.abort()
            state.writer = None
            if state.current is not None:
                state.current.refusal = IntakeRefused(
                    "incomplete",
                    "The file did not arrive in full (the upload broke off); nothing of it was "
                    "stored. Upload it again.",
                )
        raise MalformedUpload(str(exc), state.outcomes) from None
    except BaseException:
        if state.writer is not None:
            state.writer.abort()
        raise
    if posted is not None:
        posted.update(state.facts)
        posted.update(state.link_fields)
    return state.outcomes


def _take_field(state: _Upload, name: str, value: bytes, check_csrf: Callable[[str], None]) -> None:
    text = value.decode("utf-8", "replace")
    if name == "csrf_token":
        check_csrf(text)
        state.csrf_checked = True
    elif name in FACT_FIELDS:
        state.facts[name] = text
    elif name in LINK_FIELDS:
        state.link_fields[name] = text
    elif name in state.form_fields:
        state.form_fields[name] = text


def _start_file(state: _Upload, investigation: Investigation, user: Any, filename: str) -> None:
    if not state.link_checked:
        state.link_checked = True
        state.link = upload_link(investigation, user, state.link_fields)
    state.current = IntakeOutcome(shown_filename(filename))
    state.writer = None
    if filename == "":
        # An <input type=file multiple> with nothing chosen still sends one empty part.
        state.current = None
        return
    state.outcomes.append(state.current)
    try:
        state.writer = begin_intake(
            investigation, user, filename, state.facts or None, None, _recorded_hook(state)
        )
    except IntakeRefused as refusal:
        state.current.refusal = refusal


def _recorded_hook(state: _Upload) -> Callable[[EvidenceItem], None] | None:
    """What runs in each stored item's transaction: the incident link, then the caller's own."""
    steps = [step for step in (state.link.apply if state.link else None, state.on_recorded) if step]
    if not steps:
        return None

    def recorded(item: EvidenceItem) -> None:
        for step in steps:
            step(item)

    return recorded


def _file_data(state: _Upload, data: bytes, more_data: bool) -> None:
    writer, outcome = state.writer, state.current
    if writer is None or outcome is None:
        return  # a refused or skipped part: read past its bytes, store nothing
    try:
        if data:
            writer.write(data)
        if not more_data:
            state.writer = None
            outcome.item = writer.finish()
    except IntakeRefused as refusal:
        state.writer = None
        outcome.refusal = refusal


def upload_receipts(outcomes: list[IntakeOutcome]) -> dict[str, list[dict[str, Any]]]:
    """The custody entries recording each stored file, by evidence id (for the receipts)."""
    items = [o.item for o in outcomes if o.item is not None]
    receipts: dict[str, list[dict[str, Any]]] = {item.id: [] for item in items}
    if items:
        for entry in entries_for(items[0].investigation_id, receipts):
            receipts[entry["object_id"]].append(entry)
    return receipts
