"""``gee documents verify`` and ``gee decrees export``: records work an operator does from a shell."""

from __future__ import annotations

from pathlib import Path

import click

from webapp.commands.output import fail, print_json, transactional


@click.group("documents")
def documents_group() -> None:
    """Issued documents."""


@documents_group.command("verify")
@click.argument("code")
def verify_command(code: str) -> None:
    """Find the document issued with a CSV and check its content; exit 1 if it was altered."""
    from engine.base.errors import GeeError
    from engine.documents.documents import verify_by_csv

    try:
        result = verify_by_csv(code)
    except GeeError as err:
        fail(err)
    meta = result.document.meta()
    print_json({
        "intact": result.intact,
        "tenant": result.tenant_name,
        **{key: meta[key] for key in ("eni_id", "title", "file_name", "content_type", "size", "sha256",
                                      "tipo_documental", "issued_at", "csv")},
    })
    if not result.intact:
        fail("the stored content no longer matches its digest")


@click.group("decrees")
def decrees_group() -> None:
    """The decree book."""


@decrees_group.command("export")
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@click.option("--year", required=True, type=int)
@click.option("--locale", type=click.Choice(["ca", "es"]), default="ca", show_default=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF.")
@transactional
def export_command(tenant_code: str, year: int, locale: str, output: Path) -> None:
    """Write a year's decree book (index and texts, annulments shown) as a PDF."""
    from sqlalchemy import select

    from engine.base.context import Context
    from engine.base.db import db
    from engine.base.errors import GeeError
    from engine.decrees.book import export_year_pdf
    from engine.tenancy.models import Tenant

    tenant = db.session.execute(select(Tenant).where(Tenant.code == tenant_code)).scalar_one_or_none()
    if tenant is None:
        fail(f"no tenant with code {tenant_code!r}")
    try:
        pdf = export_year_pdf(Context.system(tenant.id, "cli:decrees-export"), year, locale)
    except GeeError as err:
        fail(err)
    output.write_bytes(pdf)
    click.echo(f"{output}: {len(pdf)} bytes")


commands = [documents_group, decrees_group]
