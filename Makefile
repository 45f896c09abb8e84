# The one list of verbs. A fresh machine needs only Python 3.11+ and make: uv is bootstrapped into .tools/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
MANAGE := $(VENV)/bin/python manage.py
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run serve deploy test lint typecheck e2e bench bench-migration multihost db-upgrade db-check seed clean i18n-extract i18n-update i18n-compile

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	touch $@

install: $(VENV)/.synced

run: install i18n-compile  ## migrate, seed the demo data when the database is empty, serve on http://127.0.0.1:5000
	$(MANAGE) db upgrade
	$(MANAGE) seed --demo --if-empty
	$(MANAGE) run --host 127.0.0.1 --port 5000

# Production (README, "Production"): the configuration comes from the environment (ADMIN_APP_PROFILE, FLASK_*).
deploy: install  ## migrate to head, sync the roles, compile the translations (idempotent)
	$(MANAGE) deploy

serve: install  ## gunicorn (config/gunicorn.conf.py) and, when FLASK_JOBS_REDIS_URL is set, an RQ worker and RQ's cron scheduler
	@worker=; if [ -n "$$FLASK_JOBS_REDIS_URL" ]; then $(MANAGE) worker & worker="$$!"; $(MANAGE) cron & worker="$$worker $$!"; fi; \
	trap '[ -z "$$worker" ] || kill $$worker 2>/dev/null' EXIT; \
	$(VENV)/bin/gunicorn -c config/gunicorn.conf.py admin_app.wsgi:app

test: install i18n-compile  ## the whole suite: SQLite, plus PostgreSQL when TEST_DATABASE_URL is set, plus the browser
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy admin_app

typecheck: install
	$(VENV)/bin/mypy admin_app

e2e: install i18n-compile  ## only the browser tests (needs Debian's chromium)
	$(VENV)/bin/pytest tests/e2e

# moderation.py --reuse: the 1M schema list_pages.py has just built, when it matches the migrations (else a new one).
# slow_corners.py last: its restores rewrite the rows they put back, moving them on disk (the correlation it prints).
bench: install i18n-compile  ## list pages, the dashboard and saved views at 10k and 1M comments; bulk moderation, CSV export, the background job and the slow corners (writes on a bare copy, every sort, deep pages) at 1M (BENCH_DATABASE_URL, BENCH_REDIS_URL)
	$(VENV)/bin/python bench/list_pages.py
	$(VENV)/bin/python bench/moderation.py --reuse
	$(VENV)/bin/python bench/export.py --reuse
	$(VENV)/bin/python bench/dashboard.py --reuse
	$(VENV)/bin/python bench/saved_views.py --reuse
	$(VENV)/bin/python bench/jobs.py --reuse
	$(VENV)/bin/python bench/export_load.py --reuse
	$(VENV)/bin/python bench/slow_corners.py --reuse

bench-migration: install  ## migration 0007 on 1M comments while probes insert, moderate and read: how long each was blocked (BENCH_MIGRATION_URL)
	$(VENV)/bin/python bench/live_migration.py

# Root only (ip netns); Debian's haproxy, socat, openssl. `make multihost DURATION=20`: the short form CI runs.
multihost: install  ## two hosts in network namespaces behind HAProxy: shared sessions and login limits, /readyz, load with a SIGKILL, the audit check
	$(VENV)/bin/python bench/multihost/run.py --duration $(or $(DURATION),60)

# Translations: our strings in the messages domain; admin.po and flask_security.po hold only what Flask-Admin's
# and Flask-Security-Too's own catalogues leave untranslated. .po files are committed, .mo files built here.
PYBABEL := $(VENV)/bin/pybabel
LOCALES := es fr de pt_BR ja ar

i18n-extract: install  ## translations/messages.pot from the code and templates
	$(PYBABEL) -q extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -k _n:1,2 --add-comments=Translators: \
		--no-wrap --sort-by-file --project=back-office -o translations/messages.pot .

i18n-update: i18n-extract  ## merge the template into every language's messages.po
	$(PYBABEL) -q update --no-wrap --ignore-obsolete -i translations/messages.pot -d translations -D messages

i18n-compile: install  ## .mo files for every domain that has catalogues
	@for domain in messages admin flask_security; do \
		if ls translations/*/LC_MESSAGES/$$domain.po >/dev/null 2>&1; then \
			$(PYBABEL) -q compile -d translations -D $$domain || exit 1; \
		fi; \
	done

db-upgrade: install
	$(MANAGE) db upgrade

db-check: install
	$(MANAGE) db check

clean:
	rm -rf .tools $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
