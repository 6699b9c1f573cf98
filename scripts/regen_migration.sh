#!/usr/bin/env bash
# Regenerate the single initial migration (migrations/versions/0001_initial.py) from the models.
#
# While the models still change (before the first release) the schema history is one revision:
# this deletes it, autogenerates it again against an empty scratch SQLite database (so it creates
# every table of flask_appbuilder.Model.metadata, FAB's ab_* tables included, plus the append-only
# triggers: see migrations/append_only.py), then checks it: upgrade a second scratch database,
# `alembic check` must find no difference from the models, and downgrade to base must work.
# Once a database that must be kept exists, stop using this and add revisions with
# `flask --app run db migrate -m "..."`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
REV=migrations/versions/0001_initial.py

scratch=$(mktemp -d /tmp/fabrika-migration.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
rm -f "$REV"

SCRATCH="$scratch" "$PY" - <<'PYEOF'
"""Autogenerate 0001 on one empty database, then upgrade / check / downgrade another."""
import logging
import os

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from app.database import configure_engine


def alembic_config(connection):
    cfg = Config("migrations/alembic.ini")
    cfg.set_main_option("script_location", "migrations")
    cfg.attributes["connection"] = connection
    cfg.attributes["configure_logging"] = False  # warnings only: the summary line says what happened
    return cfg


def engine_for(name):
    engine = create_engine("sqlite:///" + os.path.join(os.environ["SCRATCH"], name))
    configure_engine(engine)  # the app's SQLite settings: foreign keys on, BEGIN IMMEDIATE
    return engine


logging.basicConfig(level=logging.WARNING, format="%(levelname)s [%(name)s] %(message)s")
with engine_for("generate.db").begin() as conn:
    command.revision(alembic_config(conn), message="initial", autogenerate=True, rev_id="0001")
with engine_for("verify.db").begin() as conn:
    command.upgrade(alembic_config(conn), "head")
    command.check(alembic_config(conn))
    command.downgrade(alembic_config(conn), "base")
PYEOF
test -f "$REV" || { echo "!! $REV was not generated" >&2; exit 1; }
echo "Regenerated $REV ($(grep -c 'op.create_table(' "$REV") tables, $(grep -c 'create_append_only_triggers' "$REV") append-only); verified upgrade, check, downgrade."
