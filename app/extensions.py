"""Extension singletons, bound to an app in create_app (the init_app pattern)."""

from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = SQLA()
csrf = CSRFProtect()
migrate = Migrate()
appbuilder = AppBuilder(update_perms=False)
