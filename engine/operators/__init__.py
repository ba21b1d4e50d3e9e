"""Service operators a BPMN service task calls (generate a document, number a decree, notify...): the bridge
between the process core and the records features. Importing this package registers them."""

from engine.operators import builtin  # noqa: F401  (registers the gee.* operators)
