"""``gee eni export|import|index``: ENI exchange of expedients from a shell."""

from __future__ import annotations

from pathlib import Path

import click

from webapp.commands.output import fail, transactional


@click.group("eni")
def eni_group() -> None:
    """ENI (Esquema Nacional de Interoperabilidad) expedients."""


@eni_group.command("export")
@click.argument("number")
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the ENI XML (or the zip, with --remission).")
@click.option("--remission", is_flag=True,
              help="Write a remission zip: expediente.xml and one file per documento.")
@transactional
def export_command(number: str, tenant_code: str, output: Path, remission: bool) -> None:
    """Write expedient NUMBER (e.g. 2026/000001) as ENI XML: signed index, metadata, documents."""
    from engine.base.context import Context
    from engine.base.errors import GeeError
    from engine.eni.export import export_expedient, export_remission
    from engine.expedients.expedients import find_by_number
    from webapp.commands.records import _tenant_by_code

    ctx = Context.system(_tenant_by_code(tenant_code).id, "cli:eni-export")
    try:
        expedient_id = find_by_number(ctx, number).id
        xml = export_remission(ctx, expedient_id) if remission else export_expedient(ctx, expedient_id)
    except GeeError as err:
        fail(err)
    output.write_bytes(xml)
    click.echo(f"{output}: {len(xml)} bytes")


@eni_group.command("import")
@click.argument("xml_file", type=click.Path(exists=True, path_type=Path))
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@transactional
def import_command(xml_file: Path, tenant_code: str) -> None:
    """Import an ENI expedient (with its documents) exported by another system: one XML file, or
    a remission (expediente file + one file per documento) as a folder or a zip. Invalid input
    is refused with the element at fault, and nothing is imported."""
    from engine.base.context import Context
    from engine.base.errors import GeeError
    from engine.eni.importer import import_remission
    from engine.eni.remission import from_path
    from webapp.commands.records import _tenant_by_code

    ctx = Context.system(_tenant_by_code(tenant_code).id, "cli:eni-import")
    try:
        result = import_remission(ctx, from_path(xml_file))
    except GeeError as err:
        fail(err)
    assert result.expedient is not None
    click.echo(f"imported {result.expedient.eni_id} as expedient {result.expedient.number} "
               f"({result.documents} documents, state {result.expedient.state})")


@eni_group.command("index")
@click.argument("number")
@click.option("--tenant", "tenant_code", required=True, help="Tenant code.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF.")
@transactional
def index_command(number: str, tenant_code: str, output: Path) -> None:
    """Write the foliated index of expedient NUMBER (sealed PDF with CSV, Ley 39/2015 art. 70)."""
    from engine.base.context import Context
    from engine.base.errors import GeeError
    from engine.documents.documents import read_content
    from engine.eni.index_pdf import foliated_index
    from engine.expedients.expedients import find_by_number
    from webapp.commands.records import _tenant_by_code

    ctx = Context.system(_tenant_by_code(tenant_code).id, "cli:eni-index")
    try:
        doc = foliated_index(ctx, find_by_number(ctx, number).id)
        content = read_content(ctx, doc.id)[1]
    except GeeError as err:
        fail(err)
    output.write_bytes(content)
    click.echo(f"{output}: CSV {doc.csv}")


commands = [eni_group]
