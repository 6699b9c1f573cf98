"""Proposal (TCP) services: configurable models, live costing, the workflow, conversion, printing.

Re-exports only; the modules: spec (loading a model), costing (costs by source, batched),
configure (evaluate a configuration: rules, lines, prices), workflow (save / send / approve /
reject / revise, what-if and drift), conversion (order, invoice, BOM and production order),
printing (internal and customer forms, e-mail), card (the client card's section), labels, messages.
"""

from app.services.proposals.configure import (  # noqa: F401
    ExtraLine,
    InstalmentInput,
    ProposalInput,
    evaluate,
)
from app.services.proposals.conversion import convert_proposal  # noqa: F401
from app.services.proposals.workflow import (  # noqa: F401
    approve_proposal,
    can_override_floor,
    input_of,
    reject_proposal,
    revise_proposal,
    save_proposal,
    send_proposal,
    versions,
    what_if,
)
