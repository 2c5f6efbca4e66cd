"""A scripted OpenRosa client shaped like ODK Collect: HEAD pre-flight, multipart POSTs.

Bodies are built by hand, byte for byte, as ODK Collect sends them: `xml_submission_file`
first (filename, text/xml), one part per attachment named by its file name, and the
`*isIncomplete*` part on all but the last POST of a split submission.
"""

from __future__ import annotations

import base64
import io
import uuid
from dataclasses import dataclass, field

from defusedxml.ElementTree import fromstring
from werkzeug.test import EnvironBuilder

OPENROSA = {"X-OpenRosa-Version": "1.0"}
BOUNDARY = "----ODKCollectBoundary7MA4YWxkTrZu0gW"
FORMS_NS = "{http://openrosa.org/xforms/xformsList}"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def submission_xml(
    *,
    instance_id: str,
    incident: str,
    witness: str,
    photos: list[str] = (),
    video: str | None = None,
    shows: str = "aftermath",
    transcript: str = "The second strike hit the entrance.",
    form_id: str = "custos_interview",
    version: str = "1",
) -> bytes:
    photo_xml = "".join(f"<photos><photo>{name}</photo></photos>" for name in photos)
    return (
        "<?xml version='1.0' ?>"
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{form_id}" version="{version}">'
        f"<incident>{incident}</incident><shows>{shows}</shows><witness>{witness}</witness>"
        "<conducted_on>2026-12-01</conducted_on><mode>in_person</mode>"
        "<first_hand>yes</first_hand><place>Idlib</place><language>Arabic</language>"
        f"<transcript>{transcript}</transcript>{photo_xml}<video>{video or ''}</video>"
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def form_instance(form_id: str, instance_id: str, values: dict[str, str]) -> bytes:
    """A filled form as the phone sends it: one element per answer, then meta/instanceID."""
    fields = "".join(f"<{name}>{value}</{name}>" for name, value in values.items())
    return (
        f'<data id="{form_id}" version="1">{fields}'
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def new_instance_id() -> str:
    return f"uuid:{uuid.uuid4()}"


def multipart(
    xml: bytes,
    files: list[tuple[str, bytes, str]],
    incomplete: bool = False,
    xml_first: bool = True,
) -> bytes:
    out = io.BytesIO()

    def part(headers: str, data: bytes) -> None:
        out.write(f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")

    def xml_part() -> None:
        part(
            'Content-Disposition: form-data; name="xml_submission_file"; '
            'filename="submission.xml"\r\nContent-Type: text/xml',
            xml,
        )

    if xml_first:
        xml_part()
    for name, data, media_type in files:
        part(
            f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
            f"Content-Type: {media_type}",
            data,
        )
    if not xml_first:
        xml_part()
    if incomplete:
        part('Content-Disposition: form-data; name="*isIncomplete*"', b"yes")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


@dataclass
class Phone:
    """One device's app, talking to one investigation's OpenRosa address."""

    client: object
    reference: str
    username: str
    password: str
    sent: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"/openrosa/{self.reference}"

    def headers(self) -> dict[str, str]:
        return {**OPENROSA, **basic(self.username, self.password)}

    def form_list(self):
        return self.client.get(f"{self.base}/formList", headers=self.headers())

    def forms(self) -> list[dict[str, str]]:
        root = fromstring(self.form_list().data)
        return [
            {child.tag.removeprefix(FORMS_NS): child.text for child in xform}
            for xform in root.findall(f"{FORMS_NS}xform")
        ]

    def download(self, url: str):
        return self.client.get(url.removeprefix("http://localhost"), headers=self.headers())

    def form(self, form_id: str) -> bytes:
        """The form's XML as the list names it, checked against the list's MD5."""
        import hashlib

        entry = next(f for f in self.forms() if f["formID"] == form_id)
        body = self.download(entry["downloadUrl"]).data
        assert entry["hash"] == "md5:" + hashlib.md5(body, usedforsecurity=False).hexdigest()
        return body

    def preflight(self):
        return self.client.head(f"{self.base}/submission", headers=self.headers())

    def post(self, body: bytes, headers: dict | None = None):
        return self.client.post(
            f"{self.base}/submission",
            data=body,
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            headers=headers if headers is not None else self.headers(),
        )

    def submit(self, xml: bytes, files: list[tuple[str, bytes, str]], incomplete=False):
        """HEAD then POST, as ODK Collect does for each request."""
        assert self.preflight().status_code == 204
        return self.post(multipart(xml, files, incomplete))

    def post_then_drop(self, body: bytes, sent: int):
        """A POST whose connection breaks after `sent` bytes of `body`."""
        builder = EnvironBuilder(
            path=f"{self.base}/submission",
            method="POST",
            input_stream=io.BytesIO(body[:sent]),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            headers=self.headers(),
        )
        environ = builder.get_environ()
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.client.open(environ)
