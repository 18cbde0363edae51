"""Request dependencies of the learning API: the uploaded file."""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated

from fastapi import Depends, Request

from moderation.learning.exceptions import (
    InvalidLabelFile,
    LabelFileTooLarge,
    UnsupportedLabelFileType,
)
from moderation.learning.labelfile import MAX_BYTES

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
MULTIPART = "multipart/form-data"
# Room for a multipart body's boundaries and part headers around a file of MAX_BYTES.
MULTIPART_OVERHEAD = 64 * 1024


async def _label_file(request: Request) -> bytes:
    """The CSV of a `text/csv` body, or of the `file` part of a `multipart/form-data` body."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in CSV_TYPES and media_type != MULTIPART:
        raise UnsupportedLabelFileType(
            "Send the file as text/csv, or as the part `file` of multipart/form-data."
        )
    limit = MAX_BYTES + (MULTIPART_OVERHEAD if media_type == MULTIPART else 0)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise LabelFileTooLarge(f"The file exceeds {MAX_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise LabelFileTooLarge(f"The file exceeds {MAX_BYTES} bytes.")
    if media_type != MULTIPART:
        return bytes(body)
    return _file_part(content_type, bytes(body))


def _file_part(content_type: str, body: bytes) -> bytes:
    """The part named `file` (else the first part with a file name) of a multipart body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    parts = list(message.iter_parts()) if isinstance(message, EmailMessage) else []
    chosen = next(
        (p for p in parts if p.get_param("name", header="content-disposition") == "file"),
        next((p for p in parts if p.get_filename()), None),
    )
    payload = None if chosen is None else chosen.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise InvalidLabelFile(
            "The multipart body has no file part.",
            errors=[{"type": "missing_file", "message": "send the CSV as the part `file`"}],
        )
    return payload


LabelFile = Annotated[bytes, Depends(_label_file)]
