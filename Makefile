# Two commands for a newcomer (see README):
#   make serve FROM=../shared/data   # or `make serve` with internet (downloads from publishers)
#   make test
# Tests by kind (markers put on by tests/conftest.py: browser, postgres, gdal, slow):
#   make test        the whole suite, as CI runs it (.ci/run)
#   make test-fast   the inner loop: no browser, no PostgreSQL (-m "not browser and not postgres");
#                    more pytest arguments in ARGS, e.g. make test-fast ARGS='-x tests/read'
FROM ?=
HOST ?= 127.0.0.1
PORT ?= 8000
GEOSERVICE_DATA_DIR ?= $(CURDIR)/var
export GEOSERVICE_DATA_DIR
TERRITOIRE ?= toulouse-metropole
export GEOSERVICE_TERRITOIRE = $(TERRITOIRE)

.PHONY: serve test test-fast setup pull lint bench

setup:
	@scripts/setup.sh

pull: setup
	@.venv/bin/geoservice data pull $(if $(FROM),--from $(FROM),)

serve: setup
	@if [ -n "$(FROM)" ] || { [ -z "$$GEOSERVICE_DATABASE_URL" ] && \
	     [ ! -f "$(GEOSERVICE_DATA_DIR)/$(TERRITOIRE)/store.sqlite" ]; }; then \
	  .venv/bin/geoservice data pull $(if $(FROM),--from $(FROM),); fi
	@.venv/bin/geoservice serve --host $(HOST) --port $(PORT)

test:
	scripts/setup.sh --test
	.venv/bin/python -m pytest

test-fast:
	scripts/setup.sh --test
	.venv/bin/python -m pytest -m "not browser and not postgres" $(ARGS)

lint: setup
	.venv/bin/ruff check geoservice tests bench
