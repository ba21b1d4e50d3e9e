"""Tenant administration, and one municipality never seeing another's records."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent, verify_chain
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.calendar import TenantCalendar
from engine.documents.closing import close_expedient
from engine.expedients.expedients import (
    find_by_number,
    get_expedient,
    link_party,
    open_expedient,
    parties_of,
    relate,
)
from engine.expedients.listing import expedients_page
from engine.expedients.parties import find_or_create_party, find_party_by_nif
from engine.tenancy.admin import (
    NewUser,
    add_user,
    create_tenant,
    grant_role,
    revoke_role,
    set_local_holidays,
    set_signing_officers,
)
from engine.tenancy.models import Tenant, User
from engine.tenancy.passwords import verify_password
from tests.conftest import PASSWORD, ctx_for, make_tenant, make_user
from webapp.cli import main


def first_admin(username: str = "admin.sant") -> NewUser:
    return NewUser(username=username, full_name="Admin Sant", password=PASSWORD, email="admin@sant.cat")


def new_municipality(platform: Context, code: str = "sant", dir3: str = "L01250019", **extra) -> Tenant:
    tenant = create_tenant(platform, code=code, name="Ajuntament de Sant", dir3=dir3, ine_code=dir3[3:],
                           comarca="Noguera", first_admin=first_admin(f"admin.{code}"), **extra)
    db.session.commit()
    return tenant


def admin_ctx(tenant: Tenant) -> Context:
    user = db.session.execute(select(User).where(User.username == f"admin.{tenant.code}")).scalar_one()
    return ctx_for(user, tenant)


# -- tenants --------------------------------------------------------------------------------------


def test_a_platform_admin_creates_a_tenant_with_its_first_admin(platform):
    tenant = new_municipality(platform, aran=True)
    assert (tenant.code, tenant.dir3, tenant.ine_code, tenant.kind, tenant.aran) == (
        "sant", "L01250019", "250019", "ajuntament", True)
    admin = db.session.execute(select(User).where(User.username == "admin.sant")).scalar_one()
    assert admin.roles_in(tenant.id) == {"admin"} and not admin.platform_admin
    assert verify_password(admin.password_hash, PASSWORD)
    actions = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.seq)
    ).scalars().all()
    assert actions == ["tenant.created", "user.created"]
    assert verify_chain(tenant.id) is None


def test_only_platform_admins_create_tenants(platform):
    tenant = new_municipality(platform)
    with pytest.raises(Forbidden):
        create_tenant(admin_ctx(tenant), code="altre", name="Altre", dir3="L01250024", ine_code="250024",
                      first_admin=first_admin("admin.altre"))


@pytest.mark.parametrize("dir3", ["250019", "L0125001", "L012500190", "L02250019", "L01-250019", "EA0000000"])
def test_a_municipality_s_dir3_is_l01_and_six_digits(platform, dir3):
    with pytest.raises(ValidationFailed) as err:
        create_tenant(platform, code="sant", name="Sant", dir3=dir3, ine_code="250019", first_admin=first_admin())
    assert err.value.field == "dir3"


def test_dir3_is_upper_cased_and_other_kinds_have_their_own_codes(platform):
    assert new_municipality(platform, dir3="l01250019").dir3 == "L01250019"
    emd = create_tenant(platform, code="emd", name="EMD de Proves", dir3="L05000123", ine_code="250019",
                        kind="emd", first_admin=first_admin("admin.emd"))
    assert emd.dir3 == "L05000123"


def test_codes_and_dir3_are_unique(platform):
    new_municipality(platform)
    with pytest.raises(Conflict) as err:
        new_municipality(platform, code="sant", dir3="L01250024")
    assert err.value.field == "code"
    db.session.rollback()
    with pytest.raises(Conflict) as err:
        new_municipality(platform, code="altre", dir3="L01250019")
    assert err.value.field == "dir3"
    db.session.rollback()
    with pytest.raises(Conflict) as err:  # the first admin's username is taken
        create_tenant(platform, code="altre", name="Altre", dir3="L01250024", ine_code="250024",
                      first_admin=first_admin("admin.sant"))
    assert err.value.field == "username"
    db.session.rollback()
    assert db.session.execute(select(Tenant.code).order_by(Tenant.code)).scalars().all() == ["diputacio", "sant"]


def test_weak_passwords_are_refused(platform):
    with pytest.raises(ValidationFailed) as err:
        create_tenant(platform, code="sant", name="Sant", dir3="L01250019", ine_code="250019",
                      first_admin=NewUser("admin.sant", "Admin", "short"))
    assert err.value.field == "password"


# -- users ----------------------------------------------------------------------------------------


def test_tenant_admins_manage_their_users(platform):
    tenant = new_municipality(platform)
    admin = admin_ctx(tenant)
    clerk = add_user(admin, NewUser("clerk.sant", "Clerk", PASSWORD), ["tramitador"])
    db.session.commit()
    assert clerk.roles_in(tenant.id) == {"tramitador"}
    grant_role(admin, clerk.id, "tecnic")
    grant_role(admin, clerk.id, "tecnic")  # idempotent
    revoke_role(admin, clerk.id, "tramitador")
    db.session.commit()
    db.session.refresh(clerk)
    assert clerk.roles_in(tenant.id) == {"tecnic"}
    with pytest.raises(ValidationFailed):
        grant_role(admin, clerk.id, "emperador")
    with pytest.raises(Forbidden):
        add_user(ctx_for(clerk, tenant), NewUser("another", "Another", PASSWORD), ["tramitador"])
    with pytest.raises(Forbidden):
        grant_role(ctx_for(clerk, tenant), clerk.id, "admin")


def test_the_last_admin_cannot_be_removed(platform):
    tenant = new_municipality(platform)
    admin = admin_ctx(tenant)
    with pytest.raises(Conflict):
        revoke_role(admin, admin.user_id, "admin")


def test_a_tenant_admin_cannot_touch_users_of_another_tenant(platform):
    sant = new_municipality(platform)
    altre = new_municipality(platform, code="altre", dir3="L01250024")
    stranger = add_user(admin_ctx(altre), NewUser("clerk.altre", "Clerk", PASSWORD), ["tramitador"])
    db.session.commit()
    with pytest.raises(NotFound):
        grant_role(admin_ctx(sant), stranger.id, "tramitador")
    with pytest.raises(NotFound):
        revoke_role(admin_ctx(sant), stranger.id, "tramitador")
    # The provincial service can share a person between municipalities (a shared secretary).
    grant_role(Context(tenant_id=sant.id, user_id=None, username="plataforma", platform_admin=True),
               stranger.id, "secretari")
    db.session.commit()
    db.session.refresh(stranger)
    assert stranger.roles_in(sant.id) == {"secretari"} and stranger.roles_in(altre.id) == {"tramitador"}


def test_local_holidays_two_a_year_and_used_by_the_calendar(platform):
    tenant = new_municipality(platform)
    admin = admin_ctx(tenant)
    with pytest.raises(ValidationFailed):
        set_local_holidays(admin, 2026, [date(2026, 5, 11)])
    with pytest.raises(ValidationFailed):
        set_local_holidays(admin, 2026, [date(2026, 5, 11), date(2026, 9, 8), date(2026, 9, 9)])
    with pytest.raises(ValidationFailed):
        set_local_holidays(admin, 2026, [date(2026, 5, 11), date(2027, 9, 8)])
    set_local_holidays(admin, 2026, [date(2026, 9, 8), date(2026, 5, 11)])
    set_local_holidays(admin, 2027, [date(2027, 5, 10), date(2027, 9, 8)])
    db.session.commit()
    db.session.refresh(tenant)
    assert tenant.local_holidays == {"2026": ["2026-05-11", "2026-09-08"], "2027": ["2027-05-10", "2027-09-08"]}
    calendar = TenantCalendar.for_tenant(tenant)
    assert not calendar.is_working_day(date(2026, 9, 8)) and not calendar.is_working_day(date(2027, 5, 10))
    clerk = add_user(admin, NewUser("clerk.sant", "Clerk", PASSWORD), ["tramitador"])
    db.session.commit()
    with pytest.raises(Forbidden):
        set_local_holidays(ctx_for(clerk, tenant), 2028, [date(2028, 5, 8), date(2028, 9, 8)])


def test_signing_officers_must_hold_the_role(platform):
    tenant = new_municipality(platform)
    admin = admin_ctx(tenant)
    mayor = add_user(admin, NewUser("alcaldessa.sant", "Alcaldessa", PASSWORD), ["alcalde"])
    secretary = add_user(admin, NewUser("secretari.sant", "Secretari", PASSWORD), ["secretari"])
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        set_signing_officers(admin, alcalde=secretary.id)
    assert err.value.field == "alcalde"
    set_signing_officers(admin, alcalde=mayor.id, secretari=secretary.id)
    db.session.commit()
    assert tenant.signing_officers == {"alcalde": mayor.id, "secretari": secretary.id}


# -- isolation ------------------------------------------------------------------------------------


def test_a_user_of_one_tenant_never_reads_another_tenant_s_records():
    a, b = make_tenant("ajt-a", dir3="L01250001"), make_tenant("ajt-b", dir3="L01250002")
    clerk_a = make_user("clerk.a", a, ("tramitador", "secretari"))
    clerk_b = make_user("clerk.b", b, ("tramitador", "secretari"))
    db.session.commit()
    ctx_a, ctx_b = ctx_for(clerk_a, a), ctx_for(clerk_b, b)
    party_b = find_or_create_party(ctx_b, "12345678Z", "Maria Puig de B")
    exp_b = open_expedient(ctx_b, "Llicència d'obres a B", party_ids=[party_b.id])
    exp_a = open_expedient(ctx_a, "Instància a A")
    db.session.commit()
    # By id
    for read in (lambda: get_expedient(ctx_a, exp_b.id),
                 lambda: parties_of(ctx_a, exp_b.id), lambda: close_expedient(ctx_a, exp_b.id),
                 lambda: link_party(ctx_a, exp_a.id, party_b.id), lambda: relate(ctx_a, exp_a.id, exp_b.id),
                 lambda: open_expedient(ctx_a, "X", party_ids=[party_b.id])):
        with pytest.raises(NotFound):
            read()
        db.session.rollback()
    # By number: both are 2026/000001 in their own tenant
    assert find_by_number(ctx_a, exp_b.number).id == exp_a.id
    # By search
    assert expedients_page(ctx_a, q="obres").rows == []
    assert expedients_page(ctx_a, q="12345678Z").rows == []
    assert expedients_page(ctx_a, q="Puig").rows == []
    assert find_party_by_nif(ctx_a, "12345678Z") is None
    # ...while B sees its own.
    assert [e.id for e in expedients_page(ctx_b, q="Puig").rows] == [exp_b.id]


# -- CLI ----------------------------------------------------------------------------------------


def test_gee_tenant_and_user_commands(app):
    runner = app.test_cli_runner()
    created = runner.invoke(main, ["tenant", "create", "--code", "sant", "--name", "Ajuntament de Sant",
                                   "--dir3", "L01250019", "--ine-code", "250019", "--admin-username", "admin.sant",
                                   "--admin-name", "Admin", "--password", PASSWORD])
    assert created.exit_code == 0, created.output
    assert "sant" in created.stdout
    bad = runner.invoke(main, ["tenant", "create", "--code", "x", "--name", "X", "--dir3", "250019",
                               "--ine-code", "250019", "--admin-username", "admin.x", "--admin-name", "Admin",
                               "--password", PASSWORD])
    assert bad.exit_code == 1 and "DIR3" in bad.stderr
    user = runner.invoke(main, ["user", "create", "--tenant", "sant", "--username", "clerk.sant",
                                "--full-name", "Clerk", "--role", "tramitador"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert user.exit_code == 0, user.output
    assert runner.invoke(main, ["user", "grant", "--tenant", "sant", "--username", "clerk.sant",
                                "--role", "tecnic"]).exit_code == 0
    holidays = runner.invoke(main, ["tenant", "holidays", "--tenant", "sant", "--year", "2026",
                                    "2026-05-11", "2026-09-08"])
    assert holidays.exit_code == 0, holidays.output
    assert runner.invoke(main, ["user", "revoke", "--tenant", "sant", "--username", "admin.sant",
                                "--role", "admin"]).exit_code == 1  # the last admin stays
    db.session.expire_all()
    tenant = db.session.execute(select(Tenant).where(Tenant.code == "sant")).scalar_one()
    clerk = db.session.execute(select(User).where(User.username == "clerk.sant")).scalar_one()
    assert clerk.roles_in(tenant.id) == {"tramitador", "tecnic"}
    assert verify_password(clerk.password_hash, PASSWORD)
    assert tenant.local_holidays == {"2026": ["2026-05-11", "2026-09-08"]}
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0
