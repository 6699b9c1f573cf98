"""Every domain message id of the proposals context, listed for babel's extraction.

The services raise plain English msgids (translated where they are shown); listing them here as
lazy_gettext calls is what puts them in the catalogs.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = (
    _l("Option '%(option)s' requires '%(target)s'"),
    _l("Option '%(option)s' excludes '%(target)s'"),
    _l("At most %(limit)s of '%(option)s' with '%(target)s' (chosen: %(qty)s)"),
    _l("At most %(limit)s of '%(option)s' (chosen: %(qty)s)"),
    _l("Choose an option in '%(group)s'"),
    _l("Only one option can be chosen in '%(group)s'"),
    _l("Choose at least %(min)s in '%(group)s'"),
    _l("Choose at most %(max)s in '%(group)s'"),
    _l("At most %(max)s of '%(option)s'"),
    _l("The quantity of '%(option)s' must be a whole number, 0 or more"),
    _l("Unknown option %(option)s"),
    _l("The payment schedule must add up to 100%% (now %(total)s%%)"),
    _l("Instalment %(seq)s: the share must be more than 0%%"),
    _l("Instalment %(seq)s: give the due date"),
    _l("The margin must be below 100%%"),
    _l("The discount must be from 0 to 100%%"),
    _l("No cost for %(item)s: counted as zero"),
    _l("%(item)s has no cost by this source: its standard cost is used"),
    _l("%(qty)s of %(item)s beyond the free stock priced at the newest lot's cost"),
    _l("Unknown cost source %(source)s"),
    _l("The number of products must be a positive whole number"),
    _l("No exchange rate for %(currency)s on %(date)s"),
    _l("Give the line a description or an item"),
    _l("Choose a currency"),
    _l("The margin %(margin)s%% is below the floor of %(floor)s%%: only a manager can approve it"),
    _l("'%(line)s': the margin %(margin)s%% is below the floor of %(floor)s%%"),
    _l("Proposal not found"),
    _l("Proposal %(number)s has a newer version: work on the current one"),
    _l("Choose the client"),
    _l("The proposal has no lines"),
    _l("There is no active warehouse to produce in"),
    _l("The model's items have no unit: the custom item can't be created"),
    _l("The client has no e-mail address: give one"),
    _l("Choose a product model"),
    _l("Deal not found"),
    _l("Base configuration"),
    _l("Calculation %(run)s not found"),
    _l("Promotion: %(name)s, −%(pct)s%%"),
)
