"""The receipt (justificant) of a registry entry as a file to hand over: the registry page and the API."""

from __future__ import annotations

from dataclasses import dataclass

from engine.base.context import Context
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.documents.documents import read_content
from engine.registry.entries import get_entry


@dataclass(frozen=True)
class ReceiptFile:
    content: bytes
    content_type: str
    #: ``justificant-E-2026-000001.pdf``
    file_name: str


def receipt_file(ctx: Context, entry_id: int) -> ReceiptFile:
    """The receipt PDF of an entry of the tenant (NotFound for another tenant's, or one without receipt)."""
    entry = get_entry(ctx, entry_id)
    if entry.receipt_document_id is None:
        raise NotFound(_l("This entry has no receipt."))
    doc, content = read_content(ctx, entry.receipt_document_id)
    return ReceiptFile(content, doc.content_type, f"justificant-{entry.number.replace('/', '-')}.pdf")
