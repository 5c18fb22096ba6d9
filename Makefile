# The README's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= demo_out

SHARED ?= ../shared/data
STAGE2_EPOCHS ?= 18

.PHONY: setup demo test clean bundled-model

setup: $(VENV)/.installed

# torch==2.13.0 first when no torch is present: a bare `torch` requirement could pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# The main job end to end on bundled data: check annotations, train briefly, predict with the bundled
# model, evaluate against the reference, score, and write a probe report.
demo: setup
	mkdir -p $(OUT)
	$(BIN)/genelstm inspect test_data/phiX174_NC_001422.gbk.gz test_data/yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz \
		test_data/synthetic_prok.fa -a test_data/synthetic_prok.gff3 | tee $(OUT)/annotation_report.tsv
	$(BIN)/genelstm train test_data/synthetic_prok.fa test_data/phiX174_NC_001422.gbk.gz -a test_data/synthetic_prok.gff3 \
		--val-records synth2 --epochs 2 --steps-per-epoch 20 --window 900 --batch-size 8 --threads 2 -o $(OUT)/demo_model.pt
	$(BIN)/genelstm predict test_data/yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz -o $(OUT)/yersinia.gff3 \
		--proteins $(OUT)/yersinia.faa --tracks $(OUT)/tracks --threads 2
	$(BIN)/genelstm evaluate -r test_data/yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz -p $(OUT)/yersinia.gff3 \
		--json $(OUT)/yersinia.evaluation.json
	$(BIN)/genelstm score test_data/yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz --tracks $(OUT)/tracks -o $(OUT)/yersinia.scores.tsv
	$(BIN)/genelstm probe test_data/phiX174_NC_001422.gbk.gz test_data/yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz \
		-o $(OUT)/probe --max-positions 1000 --threads 2
	@echo "demo outputs in $(OUT)/: yersinia.gff3, yersinia.faa, tracks/, probe/report.html"

# Retrain the bundled prokaryote model from ../shared/data/prokaryotes with the leave-clade-out split in
# benchmarks/splits/prokaryotes.tsv (seed 0): two training stages (the second continues the first with a
# fresh warm-up), each followed by a choice of the decoder's settings on the validation genomes only
# (the second search starts from the first's result). About 95 minutes on 2 CPU cores; see the model card.
MODEL_WORK ?= benchmarks/results/bundled
bundled-model: setup
	mkdir -p $(MODEL_WORK)
	$(BIN)/genelstm -v train --corpus benchmarks/splits/prokaryotes.tsv --data-dir $(SHARED)/prokaryotes \
		--epochs 12 --steps-per-epoch 300 --seed 0 --threads 2 --no-progress \
		-o $(MODEL_WORK)/stage1.pt --metrics benchmarks/results/prokaryote.stage1.metrics.jsonl
	$(BIN)/python benchmarks/tune_decoder.py -m $(MODEL_WORK)/stage1.pt --passes 1 --write \
		| tee benchmarks/results/tune_decoder.stage1.txt
	$(BIN)/genelstm -v train --corpus benchmarks/splits/prokaryotes.tsv --data-dir $(SHARED)/prokaryotes \
		--init $(MODEL_WORK)/stage1.pt --epochs $(STAGE2_EPOCHS) --steps-per-epoch 300 --lr 1e-3 --seed 1 \
		--threads 2 --no-progress -o genelstm/models/prokaryote.pt \
		--metrics benchmarks/results/prokaryote.stage2.metrics.jsonl
	$(BIN)/python benchmarks/tune_decoder.py -m genelstm/models/prokaryote.pt --passes 1 \
		--start-from $(MODEL_WORK)/stage1.pt --write | tee benchmarks/results/tune_decoder.txt

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
