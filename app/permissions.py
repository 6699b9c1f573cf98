"""The permission vocabulary: every resource and action name, in one place.

Views set `class_permission_name = RESOURCE_X` and `method_permission_name = CRUD` (or their own
map), so FAB's permissions read like a job description ("can write on Stock documents") instead
of one permission per view and method. Services check the same names, so the REST API can't do
what the UI forbids.
"""

from __future__ import annotations

ACTION_READ = "read"
ACTION_WRITE = "write"
ACTION_POST = "post"  # post / cancel documents (moves stock or money)
ACTION_RUN = "run"  # start jobs, backups
ACTION_APPROVE = "approve"  # override a floor margin, approve what needs a manager's word

RESOURCE_SETTINGS = "Settings"
RESOURCE_REFERENCE = "Reference data"
RESOURCE_AUDIT = "Audit log"
RESOURCE_JOBS = "Scheduled jobs"
RESOURCE_BACKUP = "Backups"
RESOURCE_CATALOG = "Catalog"
RESOURCE_WAREHOUSE = "Warehouses"
RESOURCE_STOCK_DOCUMENT = "Stock documents"
RESOURCE_STOCK_REPORT = "Stock reports"
RESOURCE_PARTNER = "Partners"
RESOURCE_PRODUCTION = "Production"  # production orders, output receipts, disassembly, conversion
RESOURCE_ENGINEERING = "Engineering"  # BOMs, routings, work centres
RESOURCE_OUTBOX = "Outbox"  # every e-mail sent, its state; retry
RESOURCE_DEAL = "Deals"  # the sales funnel: deals, stages, activities
RESOURCE_SALES_ORDER = "Customer orders"  # orders, logistics analysis; post = confirm / cancel
RESOURCE_SHIPMENT = "Shipments"  # shipments and transport; post = ship (issues stock)
RESOURCE_INVOICE = "Invoices"  # invoices, acts, payments; post = issue / register payment
RESOURCE_PURCHASING = "Purchasing"  # supplier offers, purchase requests and orders, reorder points
RESOURCE_PROPOSAL = "Proposals"  # TCPs and configurable product models
RESOURCE_CALCULATOR = "Calculators"  # calculator definitions (write = edit formulas)
RESOURCE_KPI = "KPIs"  # dashboards (read), KPI definitions and scheduled reports (write), recompute (run)
RESOURCE_QUALITY = "Quality"  # complaints, defect causes, corrective actions (post = close them), recalls
RESOURCE_KNOWLEDGE = "Knowledge base"  # articles: every role reads, writers edit
RESOURCE_PROJECT = "Projects"  # projects, tasks, time, the boards (a user sees their team's projects)
RESOURCE_PROCESS = "Business processes"  # process templates, their dry runs and running instances
RESOURCE_IMPORT = "Data import"  # import runs; each kind also needs write (post) on its own data
RESOURCE_SERVICE = "Service"  # service requests, SLA calendars and policies; post = repairs (consume stock)
RESOURCE_MARKETING = "Marketing"  # segments, promotions, campaigns; run = start a campaign
RESOURCE_COSTING = "Cost corrections"  # landed costs, price corrections; post = post / cancel them
RESOURCE_PERIOD = "Accounting periods"  # post = close a month; approve = reopen it

# ModelView / ModelRestApi method -> action. Reading covers list, show, export and the API GETs.
_READ_METHODS = (
    "list", "show", "download", "export", "get", "get_list", "info", "api_read", "api_get",
    "api_column_add", "api_column_edit", "api_readvalues", "print", "index", "card",
)
_WRITE_METHODS = (
    "add", "edit", "delete", "post", "put", "action", "action_post", "api_create", "api_update",
    "api_delete", "muldelete",
)
CRUD: dict[str, str] = {m: ACTION_READ for m in _READ_METHODS} | {m: ACTION_WRITE for m in _WRITE_METHODS}
READ_ONLY: dict[str, str] = {m: ACTION_READ for m in _READ_METHODS}


def perm(action: str) -> str:
    """FAB's stored permission name for an action."""
    return f"can_{action}"
