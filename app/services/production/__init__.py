"""Production services: engineering data, production orders with costing, disassembly and conversion.

The modules: engineering (BOM / routing versions, cycle checks, explosion, where-used, cost
roll-up), orders (release with child orders, operations, completion, cancellation), status (availability,
the order tree), costing (requirements, labour, planned vs actual), transform (disassembly,
conversion), printing (the printed forms). Views, the REST API, demo data and tests call these.
"""

from app.services.production.engineering import (  # noqa: F401
    COST_METHODS,
    BomInput,
    BomLineInput,
    OperationInput,
    RoutingInput,
    active_bom,
    active_routing,
    add_bom_line,
    cost_rollup,
    create_bom,
    create_routing,
    explode_bom,
    where_used,
)
from app.services.production.orders import (  # noqa: F401
    OrderInput,
    assert_editable,
    cancel_completion,
    cancel_order,
    complete_order,
    create_order,
    release_order,
    report_operation,
)
from app.services.production.status import check_availability, order_tree  # noqa: F401
from app.services.production.transform import (  # noqa: F401
    OutputLine,
    TransformInput,
    cancel_transformation,
    convert,
    create_transformation,
    disassemble,
    post_transformation,
)
