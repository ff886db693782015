"""Checks on uploaded photos and files: size and type, by content, not by name."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]


def sniff(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "image/heic"
    return None


def check_upload(upload) -> str:
    """The content type of an acceptable upload; raises CaseError otherwise."""
    from wangge.cases.services import CaseError

    limit = settings.WANGGE.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    name = getattr(upload, "name", "file")
    if upload.size > limit:
        raise CaseError(_("%(name)s is %(size).1f MB; the limit is %(limit).0f MB.") % {
            "name": name, "size": upload.size / 1048576, "limit": limit / 1048576},
            "upload_too_large")
    if upload.size == 0:
        raise CaseError(_("%(name)s is empty.") % {"name": name}, "upload_invalid")
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise CaseError(_("%(name)s is not a JPEG, PNG, GIF, WebP, HEIC image or a PDF.") % {
            "name": name}, "upload_invalid")
    return content_type
