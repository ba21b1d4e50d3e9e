"""One small, explicit event registry: how the process core and the features meet without importing each other.

The process core imports no feature. When a feature's act settles something a process waits for (a signature
circuit finished, a notification accessed or rejected) the feature *publishes* an event and the core, which
*subscribed* to it, moves the process on; when the core is about to accept a task's data, features that own a
kind of form field check it. Subscribers run synchronously, in the publisher's unit of work, in the order they
subscribed; one that raises refuses the whole act. :mod:`engine.app` imports every subscribing module, so a
published event never goes unheard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import Any

Subscriber = Callable[..., None]


class Event(StrEnum):
    #: An instance started on an expedient, before its first steps run:
    #: ``ctx, expedient_id, process_key, data`` (``data``: the start data).
    INSTANCE_STARTED = "process.instance_started"
    #: The core is about to complete a task with validated data: ``ctx, schema, data, expedient_id``.
    TASK_SUBMITTED = "task.submitted"
    #: A signature circuit a task waited on is fully signed, or was returned with a reason:
    #: ``ctx, human_task_id, data`` (``data`` is what the task completes with).
    SIGNATURE_CIRCUIT_FINISHED = "signatures.circuit_finished"
    #: A sign task (a user task with the ``gee:sign`` property) became ready:
    #: ``ctx, human_task_id, role, target`` (``target``: the value of the variable it names).
    SIGN_TASK_READY = "process.sign_task_ready"
    #: A task waiting for a notification (property ``gee:await-notification``) became ready:
    #: ``ctx, human_task_id, target`` (``target``: the value of the variable it names).
    NOTIFICATION_TASK_READY = "process.notification_task_ready"
    #: A notification a task waited on was accessed, rejected or expired: ``ctx, human_task_id, data, idem_key``.
    NOTIFICATION_SETTLED = "notifications.settled"
    #: The last signer of a document circuit signed: ``ctx, document_id, signed_document_id``
    #: (the document sent to sign, and its signed version). Features that issue documents through a
    #: circuit (a session's convocation, minutes, certificates) take it from there.
    DOCUMENT_SIGNED = "signatures.document_signed"
    #: An expedient was opened (its number allocated): ``ctx, expedient_id``.
    EXPEDIENT_OPENED = "expedients.opened"
    #: A human task was completed (by a form, the API, a signature or a notification): ``ctx, human_task_id``.
    TASK_COMPLETED = "process.task_completed"
    #: The alcalde signed a decree and it took its number in the book: ``ctx, decree_id``.
    DECREE_SIGNED = "decrees.signed"
    #: An electronic notification was accessed, rejected or deemed rejected, whether or not a task
    #: waits for it: ``ctx, notification_id``.
    NOTIFICATION_PRACTISED = "notifications.practised"
    #: An incoming entry's receipt was issued (by its job, off the filing's request): ``ctx, entry_id, locale``
    #: (``locale``: the language chosen for the entry's documents, None for the municipality's).
    RECEIPT_ISSUED = "registry.receipt_issued"
    #: A message a process waited for was delivered, before the process runs on from it:
    #: ``ctx, expedient_id, message_name, received_at, late, due_at`` (``received_at``: when it counts
    #: as presented, e.g. its registry entry; ``due_at``: the deadline it raced, if any; UTC moments).
    MESSAGE_DELIVERED = "process.message_delivered"


_subscribers: dict[Event, list[Subscriber]] = defaultdict(list)


def subscribe(event: Event) -> Callable[[Subscriber], Subscriber]:
    """Decorator: call the function each time ``event`` is published."""

    def register(func: Subscriber) -> Subscriber:
        if func not in _subscribers[event]:
            _subscribers[event].append(func)
        return func

    return register


def publish(event: Event, **payload: Any) -> None:
    """Tell every subscriber of ``event``; a subscriber's exception reaches the publisher."""
    for func in _subscribers[event]:
        func(**payload)


def subscribers(event: Event) -> list[Subscriber]:
    """Who listens to ``event`` (for the architecture test and the docs)."""
    return list(_subscribers[event])
