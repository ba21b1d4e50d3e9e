"""A completion reads its version's spec, forms and lanes from memory (issue #18): a real
procedure's spec is tens of kilobytes, fetched, decompressed and parsed with every completion
before. Each version's own content still rules its instances: the form a task was pinned to,
not a later version's."""

from __future__ import annotations

import pytest

from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.statement_count import counting
from engine.process.definition import pinned
from engine.process.instances import tasks as instances
from engine.tenancy.models import Tenant
from tests.conftest import ctx_for, make_user
from tests.engine_helpers import REVIEW_FORM, make_version

#: A later version's form that the first version's tasks must not be checked against.
STRICTER_FORM = {**REVIEW_FORM, "required": ["approved", "notes"]}


@pytest.fixture
def clerk(tenant: Tenant):
    user = make_user("anna", tenant, ("tramitador",))
    db.session.commit()
    return ctx_for(user, tenant)


def _review_task(ctx, version) -> int:
    started = instances.start_instance(ctx, version, data={"rounds": 0})
    return started["ready_tasks"][0]["id"]


def _content_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "spec_json" in s or "process_versions.forms" in s]


def test_a_completion_does_not_read_the_versions_content_again(clerk):
    version = make_version(clerk.tenant_id, "exec_loop")
    first, second = _review_task(clerk, version), _review_task(clerk, version)
    pinned._kept.clear()  # as in a process that has not run this version yet
    db.session.remove()

    with counting(db.engine) as count:
        instances.complete_task(clerk, first, {"approved": False})
    assert len(_content_reads(count.statements)) == 1, count.report()  # read once, then kept

    db.session.remove()
    with counting(db.engine) as count:
        answer = instances.complete_task(clerk, second, {"approved": False})
    assert _content_reads(count.statements) == [], count.report()
    assert [t["element_id"] for t in answer["ready_tasks"]] == ["review"]  # the loop went round


def test_the_form_from_memory_still_refuses_bad_data(clerk):
    version = make_version(clerk.tenant_id, "exec_loop")
    task_id = _review_task(clerk, version)
    instances.complete_task(clerk, _review_task(clerk, version), {"approved": True})  # the version is kept now
    db.session.remove()

    with pytest.raises(ValidationFailed) as refused:
        instances.complete_task(clerk, task_id, {"approved": "yes"})
    assert refused.value.field == "approved"


def test_each_instance_keeps_the_form_of_its_own_version(clerk):
    older = make_version(clerk.tenant_id, "exec_loop")
    waiting_on_older = _review_task(clerk, older)
    newer = make_version(clerk.tenant_id, "exec_loop", forms={"review.schema.json": STRICTER_FORM})
    waiting_on_newer = _review_task(clerk, newer)
    db.session.remove()

    # the older version's form asks only for the decision; the newer one for notes too
    instances.complete_task(clerk, waiting_on_older, {"approved": False})
    with pytest.raises(ValidationFailed) as refused:
        instances.complete_task(clerk, waiting_on_newer, {"approved": False})
    assert refused.value.field == "notes"
