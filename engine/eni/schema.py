"""The official ENI XSDs, shipped in ``engine/eni/xsd`` (EUPL-1.1, see xsd/SOURCE.md) and loaded
offline: a resolver maps every schemaLocation to the local file, so validation never touches
the network whatever a schema imports."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l

XSD_DIR = Path(__file__).resolve().parent / "xsd"


class _LocalSchemas(etree.Resolver):
    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        name = Path(url or "").name
        path = XSD_DIR / name
        if not path.is_file():
            raise ValueError(f"schema {url!r} is not shipped with GEE")
        return self.resolve_filename(str(path), context)


@cache
def schema(name: str) -> etree.XMLSchema:
    """``ExpedienteEni.xsd``, ``DocumentoEni.xsd``... as a validator."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(XSD_DIR / name), parser))


def check(element: etree._Element, name: str, what: str) -> None:
    """Validate ``element`` against schema ``name``; the first error names element and line."""
    validator = schema(name)
    if validator.validate(etree.ElementTree(element)):
        return
    error = validator.error_log[0]
    raise ValidationFailed(
        _l("%(what)s does not follow the ENI schema (line %(line)s): %(message)s",
           what=what, line=error.line, message=error.message),
        field=what,
    )
