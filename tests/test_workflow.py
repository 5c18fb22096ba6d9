"""The Snakemake workflow for real on test_data (--cores 2), a second run doing nothing, and dry runs
of the module example and the SLURM profile."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("snakemake")


def snakemake(*args, cwd):
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)


@pytest.fixture
def work(tmp_path):
    """A copy of what the workflow reads, so the test never writes into the repository."""
    for d in ("workflows", "test_data"):
        shutil.copytree(ROOT / d, tmp_path / d)
    return tmp_path


def test_workflow_runs_and_second_run_does_nothing(work):
    r = snakemake("-s", "workflows/Snakefile", "--cores", "2", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = list(csv.DictReader(open(work / "results/summary.tsv"), delimiter="\t"))
    assert [r["sample"] for r in rows] == ["phix", "yersinia", "synthetic"]
    # the bundled model on the two real genomes: floors well below what it measures (0.73 and 0.84
    # stop-exact F1, README), so a broken workflow step or a much worse model fails here; the synthetic
    # genome's random-codon genes look like no real gene to it, so only its row is required
    floors = {"phix": 0.5, "yersinia": 0.6}
    for row in rows:
        if row["sample"] in floors:
            assert int(row["genes"]) > 0 and float(row["gene_stop_f1"]) >= floors[row["sample"]], row
    assert (work / "results/summary.png").stat().st_size > 1000
    assert "Summary" in (work / "results/probe/report.html").read_text()
    for rule in ("predict.phix", "evaluate.yersinia", "probe", "summary"):
        assert (work / f"results/benchmarks/{rule}.tsv").exists()
    again = snakemake("-s", "workflows/Snakefile", "--cores", "2", cwd=work)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_workflow_trains_when_no_model_is_given(work):
    r = snakemake("-s", "workflows/Snakefile", "--cores", "2", "--config", "model=", "--until", "predict", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (work / "results/model/model.pt").exists() and (work / "results/benchmarks/train.tsv").exists()


def test_module_example_dry_run(work):
    r = snakemake("-s", "workflows/example_module/Snakefile", "--cores", "1", "-n", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "genelstm_predict" in r.stdout


def test_slurm_profile_dry_run(work):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    r = snakemake("-s", "workflows/Snakefile", "--profile", "workflows/profiles/slurm", "-n", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "predict" in r.stdout
