# The few commands people run. Each creates (or reuses) the virtual environment in .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
AS_OF ?= 2023-10-17
EXAMPLE ?= examples/waning_to_mvd_referral.json

NODE_STAMP := node_modules/.installed

.PHONY: demo test test-compiled lint typecheck unit bench docs node clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	HFS_PATHWAY_COMPILE=0 $(BIN)/python -m pip install --quiet -e '.[dev]'  # editable: never compiled
	touch $(STAMP)

# The Node packages of the renderer checks and the docs (mermaid, puppeteer), pinned by package-lock.json. No
# browser is downloaded: puppeteer drives the system's Chromium. Without npm the checks that need them skip
# (and fail in CI, which installs npm).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else \
		echo "npm not found: the Mermaid, docs and browser checks will be skipped"; \
	fi

node: $(NODE_STAMP)

## demo: evaluate an example case and print the summary a clinician reads
demo: $(STAMP)
	$(BIN)/hfs-pathway evaluate $(EXAMPLE) --as-of $(AS_OF)

## test: lint, type-check and run the whole test suite (what CI runs)
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts hatch_build.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

unit: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

## test-compiled: build the wheel with the replay core compiled (mypyc, hatch_build.py) into .venv-compiled, run
## the whole test suite against it, and check that both builds give the same outputs on 8,000 cases (CI runs this
## after `make test`)
COMPILED_VENV ?= .venv-compiled
test-compiled: $(STAMP) $(NODE_STAMP)
	rm -rf $(COMPILED_VENV) dist-compiled
	$(PYTHON) -m venv $(COMPILED_VENV)
	$(COMPILED_VENV)/bin/python -m pip install --quiet --upgrade pip
	HFS_PATHWAY_COMPILE=1 $(COMPILED_VENV)/bin/python -m pip wheel --quiet --no-deps . -w dist-compiled
	$(COMPILED_VENV)/bin/python -m pip install --quiet "$$(ls dist-compiled/*.whl)[dev]"
	HFS_PATHWAY_EXPECT_COMPILED=1 $(COMPILED_VENV)/bin/python -m pytest
	$(BIN)/python benchmarks/fingerprint.py --sha256 > dist-compiled/outputs-python.txt
	$(COMPILED_VENV)/bin/python benchmarks/fingerprint.py --sha256 > dist-compiled/outputs-compiled.txt
	cat dist-compiled/outputs-python.txt dist-compiled/outputs-compiled.txt
	cmp dist-compiled/outputs-python.txt dist-compiled/outputs-compiled.txt
	@echo "the compiled build passes the suite and gives the same outputs as the Python build"

## docs: build the documentation site into site/ (needs Graphviz and the Node packages)
docs: $(STAMP) $(NODE_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## bench: run the benchmarks (on demand; not part of the tests). The million-case cohort run is
## `$(BIN)/python benchmarks/bench_cohort.py` (about 5 minutes and 6 GB of disk).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_evaluate.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_fhir.py
	$(BIN)/python benchmarks/bench_cohort.py --sizes 10000,100000
	$(BIN)/python benchmarks/bench_cds_load.py --clients 16 --requests 4000

clean:
	rm -rf $(VENV) $(COMPILED_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist dist-compiled site \
		test-artifacts node_modules
