# The two commands of the README: `make run` and `make test`. Everything they need
# is installed here, idempotently: Debian packages, the virtualenv, npm packages.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APPIUM_PORT ?= 4723
export APPIUM_PORT
PORT ?= 8000

.PHONY: install system-deps migrate demo run appium test test-fast test-scaleout lint format clean

install: system-deps $(VENV)/.installed node_modules/.installed migrate

# Node.js runs Appium; Debian's Chromium runs the admin's browser tests and, with
# Debian's chromedriver, the web device; curl walks the README's quick start in a test;
# Java runs the Allure CLI (npm allure-commandline) that reads our Allure results;
# ffmpeg encodes the videos of runs on the Appium host (our plugin) and reads them.
system-deps:
	@missing=""; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v curl >/dev/null 2>&1 || missing="$$missing curl"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -x /usr/bin/chromedriver || missing="$$missing chromium-driver"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v ffmpeg >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json simulator/plugin/package.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput -v0

demo: install
	$(PY) manage.py seed_demo

# make run [PORT=8000] [APPIUM_PORT=4723] [DEMO=1: play the demo flow again]
run: install
	$(PY) manage.py run_stack --addr 127.0.0.1:$(PORT) $(if $(DEMO),--demo,)

appium: system-deps node_modules/.installed
	node_modules/.bin/appium --address 127.0.0.1 --port $(APPIUM_PORT) \
		--use-drivers fake,chromium --use-plugins playback-sim --log-no-colors

# The fast tests alone (tests/unit: no Appium, no browser, no worker process), on
# two processes (pytest-xdist: each has its own test database).
test-fast: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q -p no:cacheprovider -n 2

# The whole suite twice: on the embedded default (SQLite + the ORM broker), then on
# the scale-out stack (PostgreSQL + Redis at 127.0.0.1, a fresh database each time).
# Outside CI the second pass is skipped, with a message, when they are not running.
test: install
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-scaleout

test-scaleout: install
	@if ! $(PY) scripts/scaleout_services.py check; then \
		if [ -n "$$CI" ]; then echo "PostgreSQL/Redis are required in CI"; exit 1; fi; \
		echo "SKIPPED the PostgreSQL + Redis pass: start them at 127.0.0.1:5432/6379"; exit 0; \
	fi; \
	db=playback_$$(date +%s)_$$$$; \
	echo "== the suite again on PostgreSQL ($$db) + Redis =="; \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$$db REDIS_URL=redis://127.0.0.1:6379/0 \
		PLAYBACK_Q_NAME=$$db $(PY) -m pytest -p no:cacheprovider; rc=$$?; \
	$(PY) scripts/scaleout_services.py drop test_$$db; exit $$rc

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
