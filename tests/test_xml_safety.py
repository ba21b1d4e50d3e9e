"""Untrusted XML with a DTD is refused whatever its encoding and wherever the DOCTYPE sits."""

from __future__ import annotations

import io

import pytest

from engine.base.db import db
from engine.base.xml_safety import UnsafeXmlError, safe_parse_xml
from tests.conftest import csrf_token, login, make_tenant, make_user

BOMB = '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
EXTERNAL = '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>'
PADDED = '<?xml version="1.0"?><!--' + "p" * 5000 + '--><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'


def hostile() -> list[bytes]:
    out = [PADDED.encode()]
    for template in (BOMB, EXTERNAL):
        for enc, codec in (("UTF-16", "utf-16"), ("UTF-16LE", "utf-16-le"), ("UTF-16BE", "utf-16-be"),
                           ("UTF-8", "utf-8")):
            text = template.format(enc=enc)
            out.append(text.encode(codec))
    return out


@pytest.mark.parametrize("data", hostile(), ids=lambda d: f"{len(d)}b")
def test_doctypes_are_refused_in_every_encoding(data: bytes) -> None:
    with pytest.raises(UnsafeXmlError):
        safe_parse_xml(data)


def test_plain_utf16_xml_still_parses() -> None:
    root = safe_parse_xml('<?xml version="1.0" encoding="UTF-16"?><x a="1">ç</x>'.encode("utf-16"))
    assert root.tag == "x" and root.text == "ç"


@pytest.mark.parametrize("data", hostile(), ids=lambda d: f"{len(d)}b")
def test_eni_import_page_refuses_them_with_a_message(client, data: bytes) -> None:
    tenant = make_tenant()
    make_user("clerk", tenant, ("tramitador", "secretari", "admin"))
    db.session.commit()
    login(client, "clerk")
    token = csrf_token(client, "/eni/import")
    response = client.post("/eni/import", data={"csrf_token": token, "file": (io.BytesIO(data), "exp.xml")},
                           content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert response.status_code in (400, 422), response.status_code
    assert "Something went wrong on our side" not in response.get_data(as_text=True)


@pytest.mark.parametrize("data", hostile()[:2], ids=lambda d: f"{len(d)}b")
def test_gee_eni_import_refuses_them(app, tmp_path, data: bytes) -> None:
    tenant = make_tenant()
    make_user("clerk", tenant, ("tramitador", "secretari", "admin"))
    db.session.commit()
    path = tmp_path / "exp.xml"
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["eni", "import", "--tenant", tenant.code, str(path)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
