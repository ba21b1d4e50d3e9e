"""What a document's bytes go through before they are kept: type sniffing, a safe file name,
and the content-addressed store on the filesystem.

Content type comes from the bytes, never from the name or the browser. Allowed are the
formats a municipal expedient needs and the NTI catalogue of standards admits: PDF, PNG,
JPEG, TIFF, XML, plain text, ODF and OOXML office files. A bare ZIP is refused (it could
carry anything, and an archive is not a document); so is every executable or unknown type.

The store keeps each content once under its SHA-256 (``root/ab/cd/abcd…``), written to a
temporary file and renamed into place, so a reader never sees half a file and storing the
same bytes twice is harmless. A blob whose database transaction later rolls back stays
behind unreferenced: harmless, and a sweeper can collect it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype

from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _l
from engine.base.settings import current_settings

#: Sniffed MIME type -> extensions a file of that type may carry (the first is the canonical one).
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/tiff": ("tif", "tiff"),
    "application/xml": ("xml",),
    "text/plain": ("txt", "csv"),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/vnd.oasis.opendocument.presentation": ("odp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
}

_KNOWN_EXTENSIONS = frozenset(ext for exts in ALLOWED_TYPES.values() for ext in exts)
MAX_NAME_LENGTH = 150
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)
_FORBIDDEN_CHARS = re.compile(r'[<>:"|?*]')
#: Bytes that never occur in a text file (C0 controls other than tab, newlines, form feed; DEL).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class ContentIntegrityError(GeeError):
    """Stored bytes no longer match their digest: the file on disk was altered or lost."""

    status = 500
    code = "integrity"


@dataclass(frozen=True)
class Digests:
    sha256: str
    sha512: str

    @classmethod
    def of(cls, content: bytes) -> Digests:
        return cls(hashlib.sha256(content).hexdigest(), hashlib.sha512(content).hexdigest())


def sniff_content_type(content: bytes) -> str:
    """The MIME type of ``content`` from its bytes, or :class:`ValidationFailed` if not allowed."""
    if not content:
        raise ValidationFailed(_l("The file is empty."), field="file")
    kind = filetype.guess(content)
    if kind is not None:
        if kind.mime in ALLOWED_TYPES:
            return str(kind.mime)
        raise ValidationFailed(
            _l("Files of type %(type)s are not accepted.", type=kind.mime), field="file"
        )
    if _BINARY_BYTES.search(content):
        raise ValidationFailed(_l("This type of file is not accepted."), field="file")
    if content.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<?xml"):
        return "application/xml"
    return "text/plain"


def safe_file_name(name: str, content_type: str) -> str:
    """A file name safe to store, show and offer for download.

    Keeps only the last path component, drops control and format characters (which can hide
    a name's real ending), characters Windows refuses, leading dots (hidden files) and
    trailing dots or spaces; defuses device names like ``con.txt``; caps the length while
    keeping the extension; and makes the extension agree with the sniffed type.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = _FORBIDDEN_CHARS.sub("_", name).strip().lstrip(".").rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    allowed = ALLOWED_TYPES.get(content_type, ())
    if allowed and ext.lower() not in allowed:
        # Another accepted type's extension is replaced; anything else is kept in the stem.
        if ext.lower() not in _KNOWN_EXTENSIONS:
            stem = name
        ext = allowed[0]
    stem = stem.rstrip(". ") or "document"
    if _WINDOWS_DEVICES.match(stem.split(".")[0]):
        stem = "_" + stem
    suffix = f".{ext.lower()}" if ext else ""
    return stem[: MAX_NAME_LENGTH - len(suffix)] + suffix


class ContentStore:
    """Immutable blobs on the filesystem, addressed by their SHA-256."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> Digests:
        """Keep ``content`` (once) and return its digests."""
        digests = Digests.of(content)
        target = self.path_for(digests.sha256)
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digests.sha256:
            return digests
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digests

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; :class:`ContentIntegrityError` if missing or altered."""
        try:
            content = self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise ContentIntegrityError(_l("The document's content is missing from the store.")) from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise ContentIntegrityError(
                _l("The document's content was altered: it no longer matches its digest.")
            )
        return content


def content_store() -> ContentStore:
    """The store configured for the running application (``GEE_DOCUMENT_STORE``)."""
    return ContentStore(current_settings().document_store)
