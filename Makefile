# Shifan: `make demo` sets everything up and serves the demo; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages: CJK fonts, DejaVu (the ☑ ☐ of printed forms) and Pango with HarfBuzz's subsetter (WeasyPrint's PDFs), Chromium
# (browser tests), poppler (PDF checks), gettext (translations).
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-dejavu-core fonts-arphic-gkai00mp fonts-cwtex-fs fonts-wqy-zenhei libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils gettext

# `make demo` serves the site as deployed (docs/deployment.md): gunicorn, DEBUG off, the collected
# static files served by WhiteNoise. Only plain HTTP on $(HOST) and the demo accounts' login without
# a second factor (SHIFAN_DEMO, refused by the deploy check) differ from production.
DEMO_ENV := DJANGO_DEBUG=false SHIFAN_DEMO=true SHIFAN_HTTPS=false SHIFAN_COLLECTED_STATIC=true
# On Ctrl-C a gthread worker can linger until gunicorn kills it, after --graceful-timeout seconds
# (30 by default): 5 is enough for a request in progress. One process with threads: the demo keeps
# its cache (the bell's counts, the rate limits) in memory, which several processes would not share.
DEMO_SERVER := $(VENV)/bin/gunicorn shifan.wsgi:application --bind=$(HOST):$(PORT) \
	--worker-class=gthread --workers=1 --threads=8 --graceful-timeout=5 --access-logfile=-
# `make serve`: Django's development server, DEBUG on, reloading when the code changes.
SERVE_ENV := DJANGO_DEBUG=true SHIFAN_DEMO=true SHIFAN_HTTPS=false
VAR_DIR := $(or $(SHIFAN_VAR_DIR),var)

.PHONY: help install system-packages demo demo-server serve test test-fast lint format typecheck clean messages bench-assignment bench-documents bench-dashboard bench bench-pages bench-crash bench-api bench-similarity upgrade-fixture demo-sso

help:
	@echo "make demo   install everything, load the demo data, serve http://$(HOST):$(PORT) as deployed (gunicorn, DEBUG off)"
	@echo "make demo-sso  the demo with a local identity service (OpenID Connect) for the SSO login buttons"
	@echo "make serve  Django's development server with DEBUG on, reloading on changes"
	@echo "make test   run the whole test suite (unit, service, permission and browser tests)"
	@echo "make lint   ruff and mypy"
	@echo "make bench-assignment   solve time and optimality of expert assignment (1,000 × 300, k = 5)"
	@echo "make bench-documents    申报书 PDF/Word seconds per book and pages, a 200-book ZIP export"
	@echo "make bench-dashboard    统计分析 page time with 10,000 applications (province and city officer)"
	@echo "make bench-similarity   similarity detection over 10,000 applications × 14 sections: index and check time, recall, false flags"
	@echo "make bench              deadline-day load under gunicorn: N = 50, 200, 500 applicants, SQLite and PostgreSQL"
	@echo "make bench-crash        the deadline day with servers and the worker killed (SIGKILL): nothing acknowledged lost, no task run twice"
	@echo "make bench-pages        each page's req/s against bare Django: demo size and 10,000 applications, both databases"
	@echo "make bench-api          a 100-item page of /api/v1/applications/ at 10,000 applications on PostgreSQL, and its query count"
	@echo "make upgrade-fixture REV=<commit>   the release's demo database for tests/test_upgrade.py (docs/operations.md)"

install: system-packages $(VENV)/.installed node_modules/.installed

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		else \
			echo "Missing Debian packages (run as root or install them): $$missing"; \
		fi; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

var:
	mkdir -p var

demo: install var $(VAR_DIR)/static/staticfiles.json
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEMO_ENV) $(PY) manage.py load_demo
	@echo "Serving http://$(HOST):$(PORT) (Ctrl-C stops the server and the background worker)"
	@$(DEMO_ENV) $(PY) manage.py run_worker --no-reload --queue-name '*' >$(VAR_DIR)/worker.log 2>&1 & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(DEMO_ENV) $(DEMO_SERVER)

# `make demo-sso`: the demo with a local OpenID provider (tools/oidc-dev-provider.js, npm
# oidc-provider) on $(SSO_PORT) standing in for the province's identity services (docs/deployment.md).
SSO_PORT ?= 9000
DEMO_SSO_PROVIDERS := [{"key": "dev", "name": "统一身份认证（演示）", \
	"discovery_url": "http://127.0.0.1:$(SSO_PORT)/.well-known/openid-configuration", \
	"client_id": "shifan", "client_secret": "dev-secret", "scope": "openid email profile company", \
	"credit_code_claim": "credit_code", "contact": "演示：省工信厅系统管理员"}]

demo-sso: install var
	@echo "Local identity service: http://127.0.0.1:$(SSO_PORT) (any password; log: $(VAR_DIR)/oidc-dev-provider.log)"
	@OIDC_DEV_PORT=$(SSO_PORT) OIDC_DEV_RP=http://localhost:$(PORT),http://$(HOST):$(PORT) \
	node tools/oidc-dev-provider.js >$(VAR_DIR)/oidc-dev-provider.log 2>&1 & provider=$$!; \
	trap "kill $$provider 2>/dev/null" EXIT INT TERM; \
	SHIFAN_SSO_PROVIDERS='$(DEMO_SSO_PROVIDERS)' $(MAKE) --no-print-directory demo

# The demo's web server alone, in the foreground (tests/test_demo_server.py starts it too).
demo-server: $(VAR_DIR)/static/staticfiles.json
	@$(DEMO_ENV) exec $(DEMO_SERVER)

# Collected (hashed and compressed: half a minute) again only when a static file or its list changed.
$(VAR_DIR)/static/staticfiles.json: $(shell find src/shifan -path '*/static/*' -type f) src/shifan/settings.py $(VENV)/.installed node_modules/.installed
	@mkdir -p $(VAR_DIR)
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v0

serve: install var
	$(SERVE_ENV) $(PY) manage.py migrate --noinput -v0
	$(SERVE_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# Both cores by default; PYTEST_ARGS="-n 0" runs in one process.
PYTEST_ARGS ?= -n 2

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# Benchmarks print figures (the last line is JSON); they are run by hand, not by CI.
bench-assignment: install
	SHIFAN_HTTPS=false $(PY) bench/assignment.py

bench-documents: install
	SHIFAN_HTTPS=false $(PY) bench/documents.py

bench-dashboard: install
	SHIFAN_HTTPS=false $(PY) bench/dashboard.py

# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust): it creates and drops shifan_bench_api.
bench-api: install
	SHIFAN_HTTPS=false $(PY) bench/api.py

bench-similarity: install
	SHIFAN_HTTPS=false $(PY) bench/similarity.py

# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust): it creates and drops shifan_bench.
bench: install
	SHIFAN_HTTPS=false $(PY) bench/load.py

# Each page's req/s as a ratio to bare Django, demo size and 10,000 applications, SQLite and
# PostgreSQL (creates and drops shifan_bench_pages); about 10 minutes, BENCH_ARGS=--quick about 8.
bench-pages: install
	SHIFAN_HTTPS=false $(PY) bench/pages.py $(BENCH_ARGS)

# At each release: the demo database the release leaves, on SQLite and PostgreSQL, written to
# tests/fixtures/upgrade/ for tests/test_upgrade.py (docs/operations.md, Upgrading). Needs PostgreSQL
# at 127.0.0.1:5432 (user postgres, trust): it creates and drops shifan_upgrade_fixture.
upgrade-fixture: install
	@test -n "$(REV)" || { echo "usage: make upgrade-fixture REV=<commit of the release>"; exit 2; }
	$(PY) tools/upgrade_fixture.py $(REV)

# The deadline-day load with gunicorn and the task worker killed at random moments, SQLite and
# PostgreSQL (creates and drops shifan_bench_crash); BENCH_ARGS="--databases sqlite --kills 4" for less.
bench-crash: install
	SHIFAN_HTTPS=false $(PY) bench/crash.py $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SHIFAN_HTTPS=false $(VENV)/bin/mypy src/shifan

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	cd src/shifan && ../../$(PY) ../../manage.py makemessages -l en --no-obsolete && ../../$(PY) ../../manage.py compilemessages -l en

clean:
	rm -rf var test-output .pytest_cache
