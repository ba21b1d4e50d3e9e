"""PDFs of the signature and ENI modules, rendered like the records module's (same base layout,
same no-network URL fetcher), from templates kept beside the module that owns them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from engine.records import pdf as records_pdf


def render_pdf_from(directory: Path, template: str, **context: Any) -> bytes:
    """Render ``template`` from ``directory`` (which may extend the records' ``_base.html``)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(directory), FileSystemLoader(records_pdf.TEMPLATES)]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = records_pdf.local_time
    html = env.get_template(template).render(**context)
    return records_pdf.html_to_pdf(html)
