# GEE — the two commands of the README, and the steps they are made of.
#   make run    install everything, migrate the database, load demo data, serve http://127.0.0.1:5000
#   make test   install what the tests need and run the whole suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := webapp/static/vendor
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install python-deps assets translations migrate demo browser lint messages

run: install migrate demo
	$(BIN)/gee run --host $(HOST) --port $(PORT)

# Two processes (pytest-xdist): each gets its own database and Redis numbers (tests/conftest.py).
PYTEST_ARGS ?= -n 2 --dist loadfile

test: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

install: python-deps assets translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $@

python-deps: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Front-end libraries come from the npm registry and are served by the app itself (no CDN); the modeler
# (bpmn-js, its properties panel and GEE's group) is bundled from webapp/static/src with esbuild.
assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx $(VENDOR)/bpmn-js $(VENDOR)/bpmn-js-properties-panel $(VENDOR)/chartjs $(VENDOR)/axe-core
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets/. $(VENDOR)/bpmn-js/assets/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe-core/
	cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css $(VENDOR)/bpmn-js-properties-panel/
	npx --no-install esbuild webapp/static/src/modeler-app.js --bundle --minify --format=iife --target=es2019 \
	  --log-level=warning --outfile=$(VENDOR)/gee-modeler/modeler.js

translations: python-deps
	$(BIN)/pybabel compile --use-fuzzy -d engine/translations -D messages 2>/dev/null || $(BIN)/pybabel compile -d engine/translations -D messages

migrate: install
	$(BIN)/gee db upgrade

demo: migrate
	$(BIN)/gee demo

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Refresh the translation catalogues after adding strings (then translate the new entries).
messages: python-deps
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o engine/translations/messages.pot .
	$(BIN)/pybabel update -i engine/translations/messages.pot -d engine/translations --no-fuzzy-matching
