"""A remission as other systems send it: the ``expediente`` (index + metadata) in one file and
each ``documento`` in its own file, as a folder or a zip, with any file names; or everything in
one XML file (GEE's package, or any XML holding the expediente and its documents).

Every XML file is parsed on its own (hardened: no DTD, no entities, no network), so xs:ID values
such as ``CONTENIDO_DOCUMENTO`` may repeat across documents. Files that are not XML are kept by
name, for documents whose content is a ``referenciaFichero``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.base.xml_safety import UnsafeXmlError, safe_parse_xml
from engine.eni.namespaces import q

#: A zip may not expand beyond this (zip bombs); one file beyond MAX_FILE.
MAX_TOTAL = 2 * 1024**3
MAX_FILE = 512 * 1024**2


@dataclass
class Remission:
    #: file name -> parsed XML root, for every XML file
    xml: dict[str, etree._Element] = field(default_factory=dict)
    #: file name -> bytes, for every file (XML or not)
    files: dict[str, bytes] = field(default_factory=dict)

    def file_named(self, reference: str) -> bytes | None:
        """The bytes of a ``referenciaFichero``: matched by path, then by file name."""
        ref = reference.strip().removeprefix("file://").lstrip("./")
        if ref in self.files:
            return self.files[ref]
        name = PurePosixPath(ref.replace("\\", "/")).name
        found = [data for key, data in self.files.items() if PurePosixPath(key).name == name]
        return found[0] if len(found) == 1 else None


def _parse(name: str, data: bytes) -> etree._Element:
    try:
        return safe_parse_xml(data)
    except UnsafeXmlError as err:
        raise ValidationFailed(_l("%(file)s: the XML was refused: %(reason)s.", file=name, reason=str(err)),
                               field="file") from None
    except etree.XMLSyntaxError as err:
        raise ValidationFailed(_l("%(file)s: the file is not well-formed XML: %(reason)s.", file=name,
                                  reason=str(err)), field="file") from None


def _looks_like_xml(name: str, data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return name.lower().endswith(".xml") or head.startswith(b"<")


def from_files(files: dict[str, bytes]) -> Remission:
    remission = Remission(files=dict(files))
    for name, data in sorted(files.items()):
        if _looks_like_xml(name, data):
            remission.xml[name] = _parse(name, data)
    if not remission.xml:
        raise ValidationFailed(_l("The remission holds no XML file."), field="file")
    return remission


def unzip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationFailed(_l("The file is not a valid zip archive."), field="file") from None
    total, files = 0, {}
    for info in archive.infolist():
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        total += info.file_size
        if info.file_size > MAX_FILE or total > MAX_TOTAL:
            raise ValidationFailed(_l("The zip archive expands beyond the allowed size."), field="file")
        files[info.filename] = archive.read(info)
    return files


def from_bytes(data: bytes, name: str = "upload.xml") -> Remission:
    """One uploaded file: a zip of the remission, or a single XML file."""
    if data[:4] == b"PK\x03\x04":
        return from_files(unzip(data))
    return from_files({name: data})


def from_path(path: Path) -> Remission:
    """A remission folder (every file under it), a zip, or one XML file."""
    if path.is_dir():
        files = {p.relative_to(path).as_posix(): p.read_bytes()
                 for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")}
        return from_files(files)
    return from_bytes(path.read_bytes(), path.name)


def find_expediente(remission: Remission) -> etree._Element:
    found = [element for root in remission.xml.values()
             for element in ([root] if root.tag == q("eniexp", "expediente")
                             else root.iter(q("eniexp", "expediente")))]
    if len(found) != 1:
        raise ValidationFailed(_l("The file must hold exactly one ENI expediente element."), field="file")
    return found[0]


def documentos(remission: Remission) -> list[tuple[str, etree._Element]]:
    """Every ``enidoc:documento`` of the remission, with the name of the file it came in. A
    documento inside a larger file is taken out into a document of its own, so its xs:ID values
    (``CONTENIDO_DOCUMENTO``...) are its own, as if it had been sent separately."""
    return [(name, element if element is root else etree.fromstring(etree.tostring(element)))
            for name, root in remission.xml.items()
            for element in ([root] if root.tag == q("enidoc", "documento") else root.iter(q("enidoc", "documento")))]
