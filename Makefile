# 互助保障服务平台 — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi

.PHONY: run kiosk test test-sqlite test-postgres lint bench translations messages browser-deps screenshots serve worker clean

# The virtualenv is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

translations: $(BIN)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations >/dev/null

# Extract every marked msgid (templates, _l in forms, N_ in domain and models) and merge into the English
# catalogue; new entries come in with an empty msgstr to translate.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --no-location --no-wrap --sort-output -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations -l en --no-fuzzy-matching --no-wrap

setup: $(BIN)/.installed translations

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	@echo "Sign in at http://127.0.0.1:$(PORT) — staff: admin / reviewer / officer / organiser / enterprise," \
	  "password demo-portal-2026; member: ID 320213198805200012, mobile 13861800001 (code printed below)."
	@echo "admin and reviewer use two-factor: authenticator keys admin PORTALDEMOADMINTWOFACTORSECRET22," \
	  "reviewer PORTALDEMOREVIEWERTWOFACTORKEY22; or print the current code: .venv/bin/flask --app wsgi demo-totp admin"
	@echo "Starting the task queue consumer and the portal on http://127.0.0.1:$(PORT)"
	@# Development only: texts (codes included) are printed by the consumer; off everywhere else.
	export PORTAL_SMS_ECHO=$${PORTAL_SMS_ECHO:-1}; \
	  $(BIN)/huey_consumer wsgi.huey --workers 2 --quiet & \
	  trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# A demo kiosk (its own SQLite under instance/kiosk/) registered against `make run`'s database, with its
# sync loop; start `make run` in another terminal for it to have a central portal to sync with.
KIOSK_PORT ?= 5050
KIOSK_DEMO_PIN ?= 246810
KIOSK := $(BIN)/flask --app kiosk.wsgi kiosk
kiosk: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	@if [ -z "$$($(KIOSK) status | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["kiosk_id"] or "")')" ]; then \
	  public_key=$$($(KIOSK) keygen) && \
	  kiosk_id=$$($(BIN)/flask kiosk register --station DEMO-KIOSK --name "演示终端" --public-key "$$public_key" --json \
	    | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["kiosk_id"])') && \
	  $(KIOSK) configure --central http://127.0.0.1:$(PORT) --kiosk-id "$$kiosk_id"; fi
	@test -f instance/kiosk/config.py || $(KIOSK) pin-hash --pin $(KIOSK_DEMO_PIN) > instance/kiosk/config.py
	@echo "Demo kiosk on http://127.0.0.1:$(KIOSK_PORT) (station staff PIN $(KIOSK_DEMO_PIN)); it syncs with" \
	  "http://127.0.0.1:$(PORT) — run \`make run\` in another terminal."
	$(KIOSK) sync --forever & \
	  trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/flask --app kiosk.wsgi run --host 127.0.0.1 --port $(KIOSK_PORT)

# Debian's chromium drives the browser tests; Playwright's own browser downloads do not work here.
# fonts-noto-cjk beside it: without a CJK font every Chinese character renders as a box.
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# The README's screenshots (docs/screenshots/): the key screens of every journey, walked again on a phone.
screenshots: setup browser-deps
	rm -f docs/screenshots/*.png
	PORTAL_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_journeys.py \
	  tests/browser/test_journeys_more.py -k "phone or organiser"

# Both databases at once when PostgreSQL answers: the two passes share nothing (own database, own
# temporary instance, ephemeral ports) and each keeps one core busy, so the wall time is about the
# longer pass, not the sum. PostgreSQL's output is printed after SQLite's.
test: setup browser-deps
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(subst +psycopg,,$(PG_TEST_URL))', connect_timeout=3).close()" 2>/dev/null; then \
	  log=$$(mktemp); \
	  echo "== SQLite, and PostgreSQL ($(PG_TEST_URL)) beside it"; \
	  PORTAL_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider >"$$log" 2>&1 & postgres=$$!; \
	  $(BIN)/pytest -q; sqlite=$$?; \
	  wait $$postgres; pg=$$?; \
	  echo "== PostgreSQL ($(PG_TEST_URL))"; cat "$$log"; rm -f "$$log"; \
	  echo "== SQLite exit $$sqlite, PostgreSQL exit $$pg"; \
	  test $$sqlite = 0 && test $$pg = 0; \
	else \
	  echo "== PostgreSQL not reachable at $(PG_TEST_URL): suite runs on SQLite only"; \
	  $(BIN)/pytest -q; \
	fi

test-sqlite: setup
	$(BIN)/pytest -q

test-postgres: setup
	PORTAL_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .

# Every benchmark, then BENCHMARKS.md with the tables; BENCH_QUICK=1 for small sizes (a few minutes).
bench: setup
	$(BIN)/python bench/run_all.py $(if $(BENCH_QUICK),--quick,)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
