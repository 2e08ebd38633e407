# fawu: `make run` serves the demo district; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test test-sqlite test-mariadb lint bench migrations browsers fonts services clean help

help:
	@echo "make run         set up .venv and serve the demo district on http://127.0.0.1:8000"
	@echo "make test        set up .venv and run the whole suite (SQLite, then MariaDB when reachable)"
	@echo "make lint        ruff, the import contracts (import-linter) and mypy"
	@echo "make bench       benchmarks (figures in docs/benchmarks.md)"
	@echo "make migrations  generate a migration after changing models"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) fonts
	$(BIN)/fawu serve

test: $(STAMP) browsers fonts mp-deps nginx
	@TEST_VENV=$(VENV) bash scripts/test.sh

test-sqlite: $(STAMP)
	FAWU_TEST_DB=sqlite $(BIN)/python -m pytest -q

test-mariadb: $(STAMP)
	FAWU_TEST_DB=mariadb $(BIN)/python -m pytest -q -m db

lint: $(STAMP)
	$(BIN)/ruff check app tests bench tools
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(STAMP)
	@bash scripts/apt-install.sh "the callback bench's wrk generator (httpx instead)" wrk
	$(BIN)/python -m bench

migrations: $(STAMP)
	$(BIN)/tortoise -c app.db.TORTOISE_ORM makemigrations

# Headless Chromium for the browser tests (Debian's package; a test tool's own download fails offline).
browsers:
	@command -v chromium >/dev/null 2>&1 || bash scripts/apt-install.sh "browser tests" chromium

# A CJK font for the posters (PNG draws with it; PDF embeds it: WenQuanYi Micro Hei has TrueType
# outlines, which reportlab can embed, and may be redistributed) and for the browser's screenshots;
# poppler-utils rasterises the PDF posters in their test.
fonts:
	@bash scripts/apt-install.sh "poster tests" fonts-wqy-microhei poppler-utils

# nginx for the production guide's site test (tests/deploy: `nginx -t` and requests through it on loopback).
.PHONY: nginx
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || bash scripts/apt-install.sh "nginx site tests" nginx-light

# The mini-program's npm packages (jest, miniprogram-simulate) as locked in miniprogram/package-lock.json,
# from the npm registry; again only when the lock changed. Without npm the jest tests are skipped (said so).
.PHONY: mp-deps
mp-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  [ miniprogram/node_modules/.package-lock.json -nt miniprogram/package-lock.json ] || \
	  (cd miniprogram && npm ci --no-audit --no-fund); \
	else echo "npm not installed: the mini-program's jest tests will be skipped"; fi

clean:
	rm -rf $(VENV) var .pytest_cache
