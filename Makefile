# One entry point for users and CI. Every target builds the pinned environment first, so each
# command works on a fresh clone with nothing but python3 (3.11) on the PATH.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= 2
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: venv test lint demo gallery reproduce report bench lock clean-demo

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation --editable .
	touch $@

venv: $(VENV)/.installed

## make test: the whole suite (unit tests in seconds, the end-to-end demo DAG in minutes)
test: venv
	$(BIN)/pytest -n 2 --dist loadfile

## make lint: ruff on the code, snakemake's own linter on the workflow
lint: venv
	$(BIN)/ruff check src scripts tests benchmarks
	$(BIN)/snakemake --lint --configfile config/demo.yaml --directory demo

## make demo: every rule of the paper's DAG, offline, on scikit-learn datasets, under demo/
demo: venv
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml --directory demo

## make gallery: the demo's figures as thumbnails in docs/gallery/ (run make demo first)
gallery: venv
	$(BIN)/python tools/gallery.py --out docs/gallery demo/figures demo/figures/appendix

## make reproduce CORES=N: the full paper from raw data (downloads MNIST, CIFAR-10, ...)
reproduce: venv
	$(BIN)/snakemake --cores $(CORES)

## make report: snakemake's HTML report of the full reproduction
report: venv
	$(BIN)/snakemake --report report.html

## make bench: speed against the paper's methods, printed and written to benchmarks/RESULTS.md
bench: venv
	$(BIN)/python benchmarks/run_all.py

## make lock: re-resolve requirements.in into requirements.lock (needs network to PyPI)
lock: venv
	$(PIP) install uv==0.13.9
	$(BIN)/uv pip compile requirements.in --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements.lock
	$(BIN)/python tools/lock_to_environment.py requirements.lock > environment.yml

clean-demo:
	rm -rf demo
