"""Msgids the extractor cannot find in our code, listed here so they reach messages.pot.

Nothing imports this module at run time; `pybabel extract` reads it, so these strings get into
translations/messages.pot and `pybabel update` keeps them in the ru / es catalogs instead of
marking them obsolete. Two kinds of strings live here:

- FAB_OVERRIDES: Flask-AppBuilder's own strings that its ru / es catalogs leave in English or get
  wrong (es "Sign In" = "Registrarse", ru "Отобажения/меню"). Flask-Babel merges FAB's catalog
  first and ours second, so our translation wins for a msgid both define.
- DOMAIN_MESSAGES: messages that app/domain and app/services raise as plain msgids (DomainError,
  Problem, Collector.add, MSG_* constants, parse errors). They are translated at the edge (view,
  API) with gettext, where the user's locale is known, but the source never wraps them in _().
  tests/test_translations.py fails when a new one is raised and not listed here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FAB_OVERRIDES = (
    # untranslated in FAB's ru and es catalogs (list and show pages, security menu, filters)
    _l("Add"),
    _l("Edit"),
    _l("Show"),
    _l("Delete"),
    _l("Detail"),
    _l("Cancel"),
    _l("OK"),
    _l("Are you sure you want to delete this item?"),
    _l("Order by"),
    _l("Select Value"),
    _l("Not a valid choice"),
    _l("Database Error"),
    _l("Contains (insensitive)"),
    _l("Start with"),
    _l("In"),
    _l("Not In"),
    _l("List Groups"),
    _l("Groups"),
    _l("Show Group"),
    _l("Add Group"),
    _l("Edit Group"),
    _l("Either select a role or a group"),
    _l("Edit User Information"),
    _l("User information changed"),
    _l("The user's password for authentication"),
    _l("User(s) exists in the role, cannot delete"),
    _l("User(s) exists in the group, cannot delete"),
    _l("User confirmation needed"),
    _l("Sign in using:"),
    _l("Sign In with "),
    _l(
        "Must have at least two capital letters, one special character, two digits, three lower case "
        "letters and a minimal length of 10."
    ),
    # wrong or clumsy in FAB's catalogs
    _l("Sign In"),
    _l("Profile"),
    _l("Security"),
    _l("List Users"),
    _l("List Roles"),
    _l("User's Statistics"),
    _l("User Registrations"),
    _l("Base Permissions"),
    _l("Views/Menus"),
    _l("Permission on Views/Menus"),
    _l("View/Menu"),
    _l("Permission"),
    _l("Added Row"),
    _l("Changed Row"),
    _l("Deleted Row"),
    _l("Associated data exists, please delete them first"),
    _l("Count of"),
    _l("Avg. of"),
    _l("Not Ends with"),
    _l("Failed login count"),
    _l("The user's email, this will also be used for OID auth"),
    _l("Registration not found"),
    _l("Page size"),
    _l("Enter your OpenID Username"),
)

DOMAIN_MESSAGES = (
    # app/domain/bom.py
    _l("This line would create a cycle: %(path)s"),
    _l("The bills of materials contain a cycle: %(path)s"),
    _l("The quantity of a component must be a non-zero number"),
    _l("The output quantity of a bill of materials must be positive"),
    _l("Scrap must be between 0 and 100%%"),
    _l("The bills of materials are nested deeper than %(depth)s levels"),
    _l("Cost weights cannot be negative"),
    _l("The cost cannot be shared out: every weight is zero"),
    # app/domain/errors.py
    _l("Line %(line)s"),
    _l("Insufficient stock of %(item)s: requested %(requested)s, available %(available)s"),
    # app/domain/money.py
    _l("A number is required"),
    _l("Not a number: %(value)s"),
    _l("The number %(value)s is too large"),
    _l("Too many decimal places in %(value)s (at most %(places)s)"),
    # app/domain/numbers.py
    _l("The number %(value)s is ambiguous: it could mean thousands or a fraction"),
    _l("%(field)s: the number “%(value)s” is ambiguous: it could mean thousands or a fraction"),
    # app/domain/valuation.py
    _l("Quantity must be positive"),
    _l("Unit cost cannot be negative"),
    _l("Lot %(lot)s of the cancelled issue is not among the loaded lots"),
    # app/jobs/registry.py
    _l("Unknown job: %(job)s"),
    # app/services/backup.py
    _l("Backup file not found: %(name)s"),
    _l("Backups of %(dialect)s databases are not supported"),
    _l("An in-memory database cannot be backed up or restored"),
    _l("The database could not be backed up: %(reason)s"),
    _l("%(name)s is not a Fabrika backup: tables missing: %(tables)s"),
    _l("%(name)s could not be read: %(reason)s"),
    _l("%(name)s is not a valid SQLite database: %(reason)s"),
    _l("%(name)s failed the integrity check: %(reason)s"),
    _l("Could not back up the current database before the restore: %(reason)s"),
    _l("The backup's page size (%(backup)s) differs from the database's (%(live)s)"),
    _l("The database could not be restored: %(reason)s"),
    _l("%(tool)s for PostgreSQL %(version)s was not found (set PG_BIN_DIR)"),
    _l("pg_dump failed: %(reason)s"),
    _l("The new backup cannot be read back: %(reason)s"),
    _l("%(name)s is not a PostgreSQL backup: %(reason)s"),
    _l("Could not create a scratch database (needs CREATEDB): %(reason)s"),
    _l("%(name)s could not be restored into a scratch database: %(reason)s"),
    # app/services/production/engineering.py
    _l("The end of validity is before its start"),
    _l("Version %(version)s of this item is valid on some of the same days"),
    _l("Choose an item"),
    _l("%(item)s is a service and has no stock"),
    _l("Choose the bill of materials"),
    _l("Unit %(unit)s is not defined for %(item)s"),
    _l("Give the operation a name"),
    _l("Times cannot be negative"),
    _l("Choose a work centre"),
    _l("Unknown unit %(unit)s"),
    _l("The bill of materials has no lines"),
    _l("Two operations have the same number"),
    _l("No active bill of materials for %(item)s on %(date)s"),
    _l("Unknown costing method %(method)s"),
    # app/services/production/orders.py
    _l(
        "Not enough %(item)s in %(warehouse)s: required %(required)s, available %(available)s; in other "
        "warehouses: %(sources)s"
    ),
    _l("Not enough %(item)s in %(warehouse)s: required %(required)s, available %(available)s"),
    _l("Production order not found"),
    _l("Choose an active warehouse"),
    _l("The bill of materials %(bom)s is not for %(item)s"),
    _l("The routing %(routing)s is not for %(item)s"),
    _l("The planned end is before the planned start"),
    _l("Order %(number)s is %(state)s and cannot be changed"),
    _l("Only a draft order can be released; %(number)s is %(state)s"),
    _l("Operation not found"),
    _l("Only a released order's operations can be reported; %(number)s is %(state)s"),
    _l("Quantity cannot be negative"),
    _l("You can report at most %(max)s for this operation"),
    _l("Order %(number)s is already done"),
    _l("Only a released order can be completed; %(number)s is %(state)s"),
    _l("You can complete at most %(remaining)s of %(number)s"),
    _l("Order %(number)s waits for its child orders: %(children)s"),
    _l("The cancellation date cannot be before the document date"),
    _l("Order %(number)s is already cancelled"),
    _l("Output receipt not found"),
    _l("Only a posted document can be cancelled"),
    # app/services/production/transform.py
    _l("Unknown document type %(type)s"),
    _l("Unknown cost sharing rule %(rule)s"),
    _l("The document has no lines"),
    _l("A conversion turns one item into exactly one other item"),
    _l("An item cannot be turned into itself"),
    _l("Enter the cost share of the line"),
    _l("%(item)s has no standard cost"),
    _l("%(item)s has no weight"),
    _l("Document not found"),
    _l("Document %(number)s is %(state)s and cannot be changed; cancel it instead"),
    # app/services/stock/documents.py
    _l("Choose the destination warehouse of the transfer"),
    _l("The destination warehouse must differ from the source"),
    _l("Give the reason of the write-off"),
    _l("The exchange rate must be positive"),
    _l("The counted quantity cannot be negative"),
    _l("Enter the unit cost"),
    _l("The line value %(value)s is too large"),
    _l("%(item)s is already counted on line %(first)s"),
    _l("Unknown item"),
    # app/services/stock/ledger.py
    _l("A unit cost is required for an incoming quantity"),
    _l("Quantity must be a non-zero number"),
    _l("Nothing to cancel: the document has no posted moves"),
    _l("The received goods have already been used by %(documents)s: cancel those documents first"),
    # app/services/stock/reservations.py
    _l("Cannot reserve %(requested)s of %(item)s: available %(available)s"),
    # app/services/stock/backdating.py
    _l("The document is dated %(date)s, and later documents already took these goods from the warehouse: "
       "%(documents)s. Their cost will not be recalculated. Confirm to post it anyway"),
    # app/api (params, rows, errors, base, calculators): bad input and errors of the REST API
    _l("The request body must be a JSON object"),
    _l("%(field)s is required"),
    _l("%(field)s must be an id (a whole number), not “%(value)s”"),
    _l("%(field)s: there is no record with id %(value)s"),
    _l("%(field)s must be a whole number between %(low)s and %(high)s, not “%(value)s”"),
    _l("%(field)s must be a date (YYYY-MM-DD), not “%(value)s”"),
    _l("%(field)s must be text"),
    _l("%(field)s is longer than %(max)s characters"),
    _l("%(field)s must be true or false"),
    _l("%(field)s must be an object"),
    _l("%(field)s must be a list"),
    _l("Each line must be an object"),
    _l("%(field)s must be one of: %(choices)s"),
    _l("%(field)s must be a number, not “%(value)s”"),
    _l("%(field)s: the number %(value)s is too large"),
    _l("%(field)s: too many decimal places in %(value)s (at most %(places)s)"),
    _l("%(field)s “%(value)s” is already used by another record"),
    _l("%(field)s must be at least %(low)s"),
    _l("%(field)s must be greater than %(low)s"),
    _l("%(field)s must be between %(low)s and %(high)s"),
    _l("This record is used by other records (documents, lines, ledger rows) and cannot be deleted: "
       "make it inactive instead"),
    _l("The record breaks a rule of the register (a duplicate or a missing reference): nothing was saved"),
    _l("The database is not available at the moment: try again in a moment"),
    _l("Something went wrong on the server; the error was logged"),
    _l("Not found"),
    _l("This method is not allowed here"),
    _l("The request could not be read"),
    _l("q is not a valid query argument (Rison or JSON: filters, order, page, page_size)"),
    _l("%(field)s must be a date and time (YYYY-MM-DDTHH:MM:SS)"),
    _l("%(field)s is not a field of this register"),
    _l("%(field)s: %(problem)s"),
    _l("%(field)s: version %(value)s is not a version of this calculator"),
    # app/api/marketing.py
    _l("Segment %(id)s not found"),
)
