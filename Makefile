# Keras Atlas: `make atlas` installs everything and builds the default atlas; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: atlas test test-fast bench mutation install lock clean

atlas: install  ## install what is needed, then build atlas.yml into site/
	$(VENV)/bin/keras-atlas build --config atlas.yml

test: install  ## the whole test suite, slow end-to-end tests included (what CI runs)
	bash scripts/install-system-packages.sh --for-tests
	$(PY) -m pytest

test-fast: install  ## everything but the tests marked slow
	bash scripts/install-system-packages.sh --for-tests
	$(PY) -m pytest -m "not slow"

bench: install  ## benchmarks against the seed loop and tf-keras-vis (installs tf-keras-vis and the legacy tf-keras)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(PY) -m pip install --quiet --no-deps "tf-keras==2.21.0"  # its metadata would pull the full tensorflow wheel
	$(PY) benchmarks/run.py

# Mutation groups: each a list of mutant-name patterns, run alone with `make mutation GROUP=name` (results of the
# other groups are kept); without GROUP every mutant is run afresh (several hours on 2 cores).
MUTATION_cams := "generator.compute.cams*" "generator.compute.heatmaps*" "generator.compute.activations*"
MUTATION_render := "generator.render*"
MUTATION_examples := "generator.compute.examples*" "generator.compute.parts*" "generator.results.top_examples*" "generator.formulas.field_box*" "generator.units.examples*"
MUTATION_scores := "generator.compute.faithfulness*" "generator.compute.sanity*" "generator.formulas.curve_area*" "generator.results.scoring*" "generator.units.scores*"
MUTATION_plan := "generator.plan*" "generator.results.breeds*" "generator.units.analysis*" "generator.units.filters*" "generator.units.base*" "generator.units.table*"
MUTATION_filters := "generator.compute.convergence*" "generator.compute.closed_form*"

mutation: install  ## mutation testing of all code that computes a number or a picture (GROUP=cams|render|examples|scores|plan|filters for one group)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[mutation]"
	$(if $(GROUP),,rm -rf mutants)
	$(VENV)/bin/mutmut run --max-children 2 $(MUTATION_$(GROUP)) || true
	$(PY) scripts/mutation_table.py

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

lock:  ## re-resolve constraints.txt (the pinned versions every install uses) in a fresh environment
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e ".[dev]"
	{ echo "# Pinned versions of everything 'pip install -e .[dev]' installs (make lock); make, CI and the workflow use it."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv

clean:  ## remove the generated pages, the site and the cache (never anything else)
	rm -rf site site.building site.previous site_src/atlas .atlas-cache mutants
