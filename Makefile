# The README's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= demo_out

.PHONY: setup demo test clean

setup: $(VENV)/.installed

# torch==2.13.0 first when no torch is present: a bare `torch` requirement could pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

demo: setup
	mkdir -p $(OUT)
	$(BIN)/genelstm inspect test_data/phiX174_NC_001422.gbk.gz test_data/yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz \
		test_data/synthetic_prok.fa test_data/synthetic_introns.fa \
		-a test_data/synthetic_prok.gff3 -a test_data/synthetic_introns.gff3 | tee $(OUT)/annotation_report.tsv

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
