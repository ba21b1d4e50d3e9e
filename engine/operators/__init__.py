"""Service operators a BPMN service task calls (generate a document, number a decree, notify...): the bridge
between the process core and the records features. Importing this package registers them."""

from engine.operators import (
    assistance,  # noqa: F401  (registers gee.request_assistance, gee.return_assistance)
    bodies,  # noqa: F401  (registers gee.propose_to_body)
    builtin,  # noqa: F401  (registers the gee.* operators)
    edicts,  # noqa: F401  (registers gee.publish_edict)
    grants,  # noqa: F401  (registers gee.expedient_info, gee.call_applications and the check of their form rows)
    public_information,  # noqa: F401  (registers gee.public_information, gee.allegations)
)
