"""Proposal (TCP) views under the menu category ProposalsMenu: proposals, the configurator, product
models with their options and rules, pricing rules. The modules: configurator (the custom page and its
JSON endpoints), documents (proposals, lines, payment schedule), registers (models, options, rules).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.views.proposals.configurator import ConfiguratorView
from app.views.proposals.documents import PaymentInstalmentView, ProposalLineView, ProposalView
from app.views.proposals.registers import (
    CompatibilityRuleView,
    ModelLineView,
    OptionGroupView,
    PricingRuleView,
    ProductModelView,
    ProductOptionView,
)

CAT_PROPOSALS = "ProposalsMenu"


def register(appbuilder) -> None:
    cat = dict(category=CAT_PROPOSALS)
    appbuilder.add_view(ProposalView, "Proposals (TCP)", label=_l("Proposals (TCP)"), icon="fa-file-text-o",
                        category=CAT_PROPOSALS, category_label=_l("Proposals"), category_icon="fa-handshake-o")
    appbuilder.add_view(ConfiguratorView, "TCP configurator", label=_l("TCP configurator"), icon="fa-sliders",
                        **cat)
    appbuilder.add_separator(CAT_PROPOSALS)
    appbuilder.add_view(ProductModelView, "Product models", label=_l("Product models"), icon="fa-cubes", **cat)
    appbuilder.add_view(PricingRuleView, "Pricing rules", label=_l("Pricing rules"), icon="fa-percent", **cat)
    appbuilder.add_view_no_menu(OptionGroupView)
    appbuilder.add_view_no_menu(ProductOptionView)
    appbuilder.add_view_no_menu(ModelLineView)
    appbuilder.add_view_no_menu(CompatibilityRuleView)
    appbuilder.add_view_no_menu(ProposalLineView)
    appbuilder.add_view_no_menu(PaymentInstalmentView)
