# Fabrika: `make run` serves the app with demo data; `make test` runs the whole suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app run

.PHONY: loadtest serve-prod run test test-fast lint bench translations translations-compile clean-db install install-dev

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations-compile
install-dev: $(VENV)/.installed-dev translations-compile

translations-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -f

## Extract msgids and update the ru / es catalogs (then translate the new entries)
translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k pgettext:1c,2 -k lazy_pgettext:1c,2 -o translations/messages.pot .
	$(BIN)/pybabel -q update -N -i translations/messages.pot -d translations
	$(BIN)/pybabel compile -d translations -f

run: install
	@FLASK_DEBUG=0 $(FLASK) setup
	@echo "Serving on http://127.0.0.1:5000 (scheduler in its own process); Ctrl+C stops both."
	@$(FLASK) scheduler run & SCHED=$$!; \
	trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:5000 --access-logfile - run:app

test: install-dev
	bash scripts/test.sh

test-fast: install-dev
	$(BIN)/python -m pytest -q -x --ignore=tests/e2e

lint: install-dev
	$(BIN)/ruff check .

## Production serving on PostgreSQL (docs/deploy.md): DATABASE_URL and SECRET_KEY from the environment
serve-prod: install
	bash scripts/serve_prod.sh

bench: install-dev
	$(BIN)/python -m bench

## 50 concurrent users on gunicorn 1, 2, 4 workers over PostgreSQL (bench/load/run.py; about 5 minutes)
loadtest: install-dev
	$(BIN)/python -m bench.load.run

clean-db:
	rm -f instance/fabrika.db instance/fabrika.db-wal instance/fabrika.db-shm

## Regenerate migrations/versions/0001_initial.py from the models (while the schema is unreleased)
.PHONY: migration
migration: $(VENV)/.installed
	PY=$(BIN)/python bash scripts/regen_migration.sh
