"""Checks on uploaded photos and files: size and type by content, not by name, and only what
can be made harmless.

- Photos: only real JPEG, PNG and WebP images. Each is decoded with Pillow and encoded again,
  so that what is stored is pixels and nothing else: no script or HTML hidden behind the image
  (a PNG or WebP with bytes after its end is refused outright), no metadata. The camera's
  orientation is applied first; then EXIF (the GPS position of the phone, its serial number)
  is dropped unless ``WANGGE["UPLOAD_STRIP_METADATA"]`` is off (then EXIF is kept, still
  re-encoded). An image of more than ``WANGGE["UPLOAD_MAX_PIXELS"]`` pixels (default 40 MP) is
  refused before it is decoded (a decompression bomb: a few kilobytes that would take gigabytes
  of memory).
- PDF: only without active content. The file and its compressed streams are scanned for the
  names that make a PDF act (``/JavaScript``, ``/JS``, ``/OpenAction``, ``/AA``, ``/Launch``,
  ``/EmbeddedFile``, ``/RichMedia``, ``/XFA``), hex-escaped names (``/J#61vaScript``) too.
- Everything else (GIF, HEIC, HTML named .jpg …) is refused with a message that says what is
  accepted.

``check_upload`` says whether an upload is acceptable (and its content type); ``clean_file``
gives the file to store in its place. A refusal is a ``CaseError`` (a 400 with the reason),
never a 500.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
ACCEPTED = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp",
              "application/pdf": "pdf"}
DEFAULT_MAX_PIXELS = 40_000_000
# PDF names that run something, open something or carry files: refused
PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?|RichMedia|XFA)(?=[\s/\[\]<>(){}%]|$)")
PDF_STREAM = re.compile(rb"stream\r?\n")
PDF_INFLATED_LIMIT = 64 * 1024 * 1024  # what the scan inflates at most (a zip bomb in a PDF)
_CLEAN = "_wangge_clean"


def sniff(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "image/heic"
    return None


def _error(message: str, code: str = "upload_invalid"):
    from wangge.cases.services import CaseError

    return CaseError(message, code)


def max_pixels() -> int:
    return int(settings.WANGGE.get("UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def strip_metadata() -> bool:
    return bool(settings.WANGGE.get("UPLOAD_STRIP_METADATA", True))


def check_upload(upload) -> str:
    """The content type of an acceptable upload; raises CaseError otherwise. The harmless copy
    to store (``clean_file``) is made here and kept on the upload."""
    limit = settings.WANGGE.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    name = getattr(upload, "name", None) or "file"
    cached = getattr(upload, _CLEAN, None)
    if cached is not None:
        return cached[1]
    if upload.size > limit:
        raise _error(_("%(name)s is %(size).1f MB; the limit is %(limit).0f MB.") % {
            "name": name, "size": upload.size / 1048576, "limit": limit / 1048576},
            "upload_too_large")
    if upload.size == 0:
        raise _error(_("%(name)s is empty.") % {"name": name})
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    content_type = sniff(data[:16])
    if content_type not in ACCEPTED:
        raise _error(_("%(name)s is not a JPEG, PNG or WebP photo or a PDF.") % {"name": name})
    if content_type == "application/pdf":
        _check_pdf(data, name)
        clean = data
    else:
        clean = _reencode(data, content_type, name)
    stem = PurePath(name).stem[:80] or "upload"
    setattr(upload, _CLEAN, (ContentFile(clean, name=f"{stem}.{EXTENSIONS[content_type]}"),
                             content_type))
    return content_type


def clean_file(upload) -> ContentFile:
    """What to store for an upload that ``check_upload`` accepted: the re-encoded image or the
    checked PDF (never the bytes as they came)."""
    check_upload(upload)
    return getattr(upload, _CLEAN)[0]


# --- images ---------------------------------------------------------------------------------
def _trailing_bytes(data: bytes, content_type: str) -> bool:
    """Whether a PNG or WebP goes on after its end (a script or a page appended to a real
    image). A JPEG's trailer is left to the re-encoding (phones append their own data)."""
    if content_type == "image/png":
        position = 8
        while position + 8 <= len(data):
            length = int.from_bytes(data[position:position + 4], "big")
            kind = data[position + 4:position + 8]
            position += 12 + length
            if kind == b"IEND":
                return position < len(data)
        return False  # truncated: Pillow says so
    if content_type == "image/webp":
        return 8 + int.from_bytes(data[4:8], "little") + (data[4] & 1) < len(data)
    return False


def _reencode(data: bytes, content_type: str, name: str) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    if _trailing_bytes(data, content_type):
        raise _error(_("%(name)s has data after the end of the image: send the photo as the "
                       "camera made it.") % {"name": name})
    limit = max_pixels()
    Image.MAX_IMAGE_PIXELS = limit  # Pillow's own guard, for every image this process opens
    try:
        with warnings.catch_warnings():
            # between the limit and twice it Pillow only warns: the size check below refuses
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]])
            width, height = image.size
            if width * height > limit:
                raise _too_many_pixels(name, width, height, limit)
            image.load()
    except Image.DecompressionBombError:  # more than twice the limit: refused on opening
        raise _too_many_pixels(name, 0, 0, limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _error(_("%(name)s is not a readable image (%(why)s).") % {
            "name": name, "why": str(exc)[:100]}) from None
    upright = ImageOps.exif_transpose(image)  # the camera's orientation, applied
    options = {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]  # colours, not metadata
    if not strip_metadata():
        exif = upright.getexif()  # without the orientation, now applied
        if exif:
            options["exif"] = exif.tobytes()
    # nothing of the original's metadata (EXIF, XMP, text chunks, comments) goes along unless
    # given above; a palette's transparent colour is pixels, not metadata
    upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    fmt = PILLOW_FORMATS[content_type]
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        options.update(quality=90, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=90)
    out = io.BytesIO()
    upright.save(out, format=fmt, **options)
    return out.getvalue()


def _too_many_pixels(name: str, width: int, height: int, limit: int):
    size = f" ({width} × {height})" if width and height else ""
    return _error(_("%(name)s has too many pixels%(size)s: at most %(limit)d million. Send a "
                    "smaller photo.") % {"name": name, "size": size,
                                         "limit": limit // 1_000_000}, "upload_too_large")


# --- PDF ------------------------------------------------------------------------------------
def _pdf_names(text: bytes) -> bytes:
    """Hex escapes in names decoded (``/J#61vaScript`` is ``/JavaScript``)."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), text)


def _inflated_streams(data: bytes):
    """The contents of the PDF's streams that inflate (FlateDecode), up to a limit in all."""
    budget = PDF_INFLATED_LIMIT
    for match in PDF_STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            return
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(data[start:end], budget)
        except zlib.error:
            continue
        budget -= len(chunk)
        yield chunk
        if budget <= 0:
            return


def _check_pdf(data: bytes, name: str) -> None:
    found = {m.decode() for m in PDF_ACTIVE.findall(_pdf_names(data))}
    if not found:
        for chunk in _inflated_streams(data):
            found |= {m.decode() for m in PDF_ACTIVE.findall(_pdf_names(chunk))}
    if found:
        raise _error(_("%(name)s is a PDF with active content (%(what)s): scripts, actions "
                       "and embedded files are not accepted. Print it to a plain PDF or send "
                       "a photo of it.") % {"name": name,
                                            "what": ", ".join(f"/{n}" for n in sorted(found))})
