# BiMo – two commands for a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
UV := $(shell bash scripts/ensure-uv.sh)
export UV_LINK_MODE := copy
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: setup demo test check lint typecheck pytest bench system-deps clean

setup:
	$(UV) sync --frozen

system-deps:
	bash scripts/install-system-deps.sh

demo: setup
	$(RUN) bimo demo

test: setup system-deps check

# One command runs every check, for humans and CI alike.
check: lint typecheck pytest

lint:
	$(RUN) ruff check src tests bench scripts

typecheck:
	$(RUN) mypy

pytest:
	$(RUN) pytest -n 2 -m "not bench" $(PYTEST_ARGS)

bench:
	$(UV) sync --frozen --group bench
	$(UV) run --frozen --group bench python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf bimo-data .pytest_cache .mypy_cache .ruff_cache
