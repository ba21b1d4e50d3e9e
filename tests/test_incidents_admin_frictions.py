"""The administrator's small frictions: the dashboard's monthly headings say what they count, and the new
municipality form marks and checks the INE code only for the kind of body that needs it."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.base.db import db
from engine.tenancy.models import User
from tests.conftest import csrf_token, login, make_tenant, make_user


def _ine_input(html: str) -> str:
    match = re.search(r'<input[^>]*id="t-ine"[^>]*>', html)
    assert match, "no INE field"
    return match.group(0)


def _ine_marker_hidden(html: str) -> bool:
    match = re.search(r'<span id="t-ine-req"([^>]*)>', html)
    assert match, "no INE marker"
    return "hidden" in match.group(1)


def test_the_dashboards_monthly_table_names_what_it_counts(client) -> None:  # type: ignore[no-untyped-def]
    tenant = make_tenant()
    make_user("alcaldessa", tenant, roles=("alcalde",))
    db.session.commit()
    login(client, "alcaldessa")
    html = client.get("/dashboard/").get_data(as_text=True)
    table = html[html.index('id="table-flow"'):]
    head = table[table.index("<thead>"):table.index("</thead>")]
    assert [cell for cell in re.findall(r'<th scope="col">([^<]*)</th>', head)] == [
        "Mes", "Expedients oberts", "Expedients resolts"]


def test_the_ine_code_is_required_for_an_ajuntament_only(client) -> None:  # type: ignore[no-untyped-def]
    tenant = make_tenant()
    make_user("plataforma", tenant, roles=("admin",))
    db.session.execute(select(User).where(User.username == "plataforma")).scalar_one().platform_admin = True
    db.session.commit()
    login(client, "plataforma")
    form = client.get("/admin/tenants").get_data(as_text=True)
    assert " required" in _ine_input(form) and not _ine_marker_hidden(form)  # an ajuntament, the first kind
    refused = client.post("/admin/tenants", data={  # no name: the page comes back with the kind chosen
        "name": "", "code": "cc-nou", "kind": "consell_comarcal", "dir3": "", "ine_code": "",
        "admin_username": "admin.cc", "admin_full_name": "Admin CC", "admin_password": "una contrasenya llarga",
        "csrf_token": csrf_token(client, "/admin/tenants")})
    html = refused.get_data(as_text=True)
    assert refused.status_code >= 400
    assert " required" not in _ine_input(html) and _ine_marker_hidden(html)
    assert 'src="/static/js/tenant_kind.js"' in html
