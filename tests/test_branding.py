"""A municipality's admin sets its logo; it shows in the top bar and is served to anyone."""

from __future__ import annotations

import base64
import io

import pytest

from engine.base.db import db
from engine.base.errors import Forbidden, ValidationFailed
from engine.documents.tenant_logo import set_logo
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_admin_uploads_a_logo_shown_in_the_top_bar_and_served_publicly(client):
    tenant = make_tenant(code="ajt-logo")
    make_user("admin", tenant, ("admin",))
    db.session.commit()
    assert client.get("/tenants/ajt-logo/logo").status_code == 404
    login(client, "admin")
    token = csrf_token(client, "/admin/")
    saved = client.post("/admin/logo", data={"csrf_token": token, "logo": (io.BytesIO(PNG), "escut.png")},
                        content_type="multipart/form-data")
    assert saved.status_code == 302
    assert 'src="/tenants/ajt-logo/logo"' in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    served = client.get("/tenants/ajt-logo/logo")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG


def test_only_images_and_only_the_tenant_admin():
    tenant = make_tenant()
    admin = ctx_for(make_user("admin", tenant, ("admin",)), tenant)
    clerk = ctx_for(make_user("clerk", tenant, ("tramitador",)), tenant)
    with pytest.raises(ValidationFailed):
        set_logo(admin, "escut.pdf", b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(Forbidden):
        set_logo(clerk, "escut.png", PNG)
