"""Powers say only what is true: a revoked power's confirmation no longer invites the citizen to revoke
it, and the clerk's accreditation form starts with the people the representation page shows."""

from __future__ import annotations

from lxml import html as lxml_html
from sqlalchemy import select

from engine.base.db import db
from engine.powers.models import Power
from tests.conftest import csrf_token, login
from tests.test_powers import JORDI, MARIA, _file, _grant, clerk, town  # noqa: F401 (fixtures)
from tests.test_seu import citizen_login, token_of

KEEP = '//*[@id="power-keep"]'


def test_a_revoked_power_no_longer_invites_to_revoke_it(app, town) -> None:  # noqa: F811
    maria = app.test_client()
    citizen_login(maria, town.code, *MARIA)
    assert _grant(maria, town, *JORDI).status_code == 302
    found = db.session.execute(select(Power).order_by(Power.id.desc())).scalars().first()
    base = f"/seu/{town.code}/apoderaments"
    in_force = lxml_html.fromstring(maria.get(f"{base}/{found.id}").get_data(as_text=True))
    assert in_force.xpath('//*[@id="power-data"]/@data-state') == ["valid"]
    assert len(in_force.xpath(KEEP)) == 1  # keep this confirmation; you can revoke it at any time
    token = token_of(maria.get(base).get_data(as_text=True))
    assert maria.post(f"{base}/{found.id}/revocar", data={"csrf_token": token}).status_code == 302
    revoked = lxml_html.fromstring(maria.get(f"{base}/{found.id}").get_data(as_text=True))
    assert revoked.xpath('//*[@id="power-data"]/@data-state') == ["revoked"]
    assert revoked.xpath(KEEP) == []


def test_the_accreditation_form_starts_with_the_interessat_and_the_declared_representative(
    app, town, clerk  # noqa: F811
) -> None:
    jordi, staff = app.test_client(), app.test_client()
    citizen_login(jordi, town.code, *JORDI)
    filed_for = _file(jordi, town, on_behalf=MARIA)
    login(staff, "clerk")
    page = f"/expedients/{filed_for.id}/representation"
    form = lxml_html.fromstring(staff.get(page).get_data(as_text=True)).xpath('//form[@id="power-form"]')[0]
    values = {name: form.xpath(f'.//input[@name="{name}"]/@value')
              for name in ("grantor_nif", "grantor_name", "representative_nif", "representative_name")}
    assert values == {"grantor_nif": [MARIA[0]], "grantor_name": [MARIA[1]],
                      "representative_nif": [JORDI[0]], "representative_name": [JORDI[1]]}
    # a refused registration shows what was typed, not the prefilled names
    refused = staff.post(page, data={"csrf_token": csrf_token(staff, page), "grantor_nif": MARIA[0],
                                     "grantor_name": "Maria Puig", "representative_nif": JORDI[0],
                                     "representative_name": JORDI[1], "scope": "all"})
    assert refused.status_code == 422 and 'value="Maria Puig"' in refused.get_data(as_text=True)
