# Two commands for a newcomer (see README):
#   make serve FROM=../shared/data   # or `make serve` with internet (downloads from publishers)
#   make test
FROM ?=
HOST ?= 127.0.0.1
PORT ?= 8000
GEOSERVICE_DATA_DIR ?= $(CURDIR)/var
export GEOSERVICE_DATA_DIR
TERRITOIRE ?= toulouse-metropole
export GEOSERVICE_TERRITOIRE = $(TERRITOIRE)

.PHONY: serve test setup pull lint bench

setup:
	scripts/setup.sh

pull: setup
	.venv/bin/geoservice data pull $(if $(FROM),--from $(FROM),)

serve: setup
	@if [ -n "$(FROM)" ] || { [ -z "$$GEOSERVICE_DATABASE_URL" ] && \
	     [ ! -f "$(GEOSERVICE_DATA_DIR)/$(TERRITOIRE)/store.sqlite" ]; }; then \
	  .venv/bin/geoservice data pull $(if $(FROM),--from $(FROM),); fi
	.venv/bin/geoservice serve --host $(HOST) --port $(PORT)

test:
	scripts/setup.sh --test
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check geoservice tests bench
