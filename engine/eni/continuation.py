"""Open expedients migrated from another tool go on by hand, in the inbox of the unit or role that continues them.

An open expedient (ENI ``Estado`` E01) arrives without a running procedure, so no task would ever
show it to anyone. The migration starts on it a one-step process, ``expedient_migrat_<role>``
(or ``expedient_migrat_unit_<unit code>``): a manual task "Continue the migrated case file" in the
lane of that role (or for that unit, ``gee:unit``), which lands in the inbox of the role's holders
(or of the unit's members) and of no one else until one of them marks it done. The model is made from
``processes/expedient_migrat.bpmn`` and deployed, unpublished, for the municipality the first time
it is needed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.process.definition.catalogue import latest_version
from engine.process.definition.deploy import deploy_process
from engine.process.instances.projection import UNIT_PROPERTY
from engine.process.instances.tasks import start_in_transaction
from engine.process.models import ProcessModel, ProcessVersion
from engine.tenancy.units import require_unit

#: The roles that may go on with a migrated expedient; the first is the default.
CONTINUING_ROLES = ("tramitador", "tecnic", "secretari", "alcalde")
_TEMPLATE = Path(__file__).parent / "processes" / "expedient_migrat.bpmn"


def continuing_role(value: str | None) -> str:
    """The role named in a classification map (default: the clerks), or ValidationFailed."""
    role = (value or CONTINUING_ROLES[0]).strip().lower()
    if role not in CONTINUING_ROLES:
        raise ValidationFailed(_l("%(role)s is not a role that can go on with an expedient (one of: %(roles)s).",
                                  role=role, roles=", ".join(CONTINUING_ROLES)), field="role")
    return role


def _version(tenant_id: int, role: str, unit: str | None) -> ProcessVersion:
    """The municipality's continuation model for ``role`` (or for the unit ``unit``), deployed the
    first time. It stays unpublished: it is no procedure anyone starts (not in the catalogue nor
    the e-office)."""
    suffix = f"unit_{unit}" if unit else role
    key = f"expedient_migrat_{suffix}"
    model = db.session.execute(
        select(ProcessModel).where(ProcessModel.tenant_id == tenant_id, ProcessModel.key == key)
    ).scalar_one_or_none()
    version = latest_version(model) if model is not None else None
    if version is not None:
        return version
    unit_property = f'<spiffworkflow:property name="{UNIT_PROPERTY}" value="{unit}" />' if unit else ""
    text = (_TEMPLATE.read_text("utf-8").replace("<!-- UNIT -->", unit_property)
            .replace("LANE_ROLE", role).replace("SUFFIX", suffix))
    result = deploy_process(None, text, tenant_id=tenant_id, created_by="migration")
    assert result.version is not None, result.problems  # a model GEE ships; its check is a test
    result.version.model.published = False
    db.session.flush()
    return result.version


def continue_by_hand(ctx: Context, expedient_id: int, role: str, unit: str | None,
                     inbox_unit: str | None = None) -> None:
    """Put the migrated expedient in the inbox of the members of ``inbox_unit`` (a unit code of
    the tenant) or, without one, of ``role``'s holders. ``unit`` is the responsible unit as the
    expedient records it. Flushes."""
    if inbox_unit:
        require_unit(ctx.tenant_id, inbox_unit)
    start_in_transaction(ctx, _version(ctx.tenant_id, continuing_role(role), inbox_unit), expedient_id,
                         data={"unitat_responsable": unit or "", "rol": role})
