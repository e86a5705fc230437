# Two commands on a fresh machine:  `make demo` (install, run an example)  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch 2.13.0 is the CPU build this project tests against (a local wheel; other versions are huge).
TORCH  ?= torch==2.13.0

.PHONY: demo test lint docs bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,docs,plot]'
	touch $@

$(VENV)/.torch: $(VENV)/.installed
	$(PY) -m pip install -q '$(TORCH)'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/cpshape count 784 16 16 10
	$(VENV)/bin/cpshape solve --config examples/iris.toml
	$(VENV)/bin/cpshape solve --input 784 --output 10 --params 100k --depths 3-12 --no-bias

test: $(VENV)/.torch
	$(VENV)/bin/ruff check cpshape tests benchmarks examples
	$(VENV)/bin/pytest
	$(VENV)/bin/mkdocs build --strict --quiet -d $(CURDIR)/site

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check cpshape tests benchmarks examples

docs: $(VENV)/.installed
	$(VENV)/bin/mkdocs build --strict -d $(CURDIR)/site

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) site build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
