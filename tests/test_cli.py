import json

from click.testing import CliRunner

from genelstm import __version__
from genelstm.cli import main
from conftest import TEST_DATA


def test_version_and_commands():
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0 and __version__ in r.output
    r = CliRunner().invoke(main, ["--help"])
    for cmd in ("train", "predict", "evaluate", "probe", "inspect"):
        assert f"  {cmd} " in r.output


def test_every_command_has_help():
    assert set(main.commands) >= {"train", "predict", "evaluate", "score", "adapt", "probe", "inspect", "models"}
    for name, cmd in main.commands.items():
        assert cmd.help and len(cmd.help) > 20, name
        r = CliRunner().invoke(main, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
        assert "Usage: " in r.output and f" {name} " in r.output and "--help" in r.output, name


def test_inspect_reports_genes_and_masks():
    r = CliRunner().invoke(main, ["inspect", "--json", str(TEST_DATA / "phiX174_NC_001422.gbk.gz"),
                                  str(TEST_DATA / "synthetic_introns.fa"), "-a",
                                  str(TEST_DATA / "synthetic_introns.gff3")])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["genes"], x["valid"], x["masked"]) for x in rows] == [(11, 11, 0), (15, 15, 0)]
    assert rows[1]["spliced"] == 15


def test_the_program_keeps_exit_codes_and_output_when_it_skips_teardown(tmp_path):
    """``python -m genelstm`` (cli.entry) ends with os._exit after the command: stdout must be complete,
    files written, and Click's exit status kept -- 0, 1 for a user error, 2 for a usage error."""
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "genelstm", *args], capture_output=True, text=True, timeout=300)

    r = run("models")
    assert r.returncode == 0 and r.stdout.count("\n") >= 2 and r.stdout.startswith("fungi\t")
    r = run("predict", str(tmp_path / "missing.fa"), "-o", str(tmp_path / "p.gff3"))
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [f"Error: {tmp_path / 'missing.fa'}: no such file"]
    assert not (tmp_path / "p.gff3").exists()
    assert run("predict").returncode == 2
    reader_gone = subprocess.Popen([sys.executable, "-m", "genelstm", "models"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
    reader_gone.stdout.close()  # as `| head -0` does, before the command writes
    assert reader_gone.wait(timeout=300) == 1 and reader_gone.stderr.read() == ""  # no "Broken pipe" line
    out = tmp_path / "y.gff3"
    r = run("predict", str(TEST_DATA / "yersinia_pestis_plasmid_pPCP1_NC_005816.gbk.gz"), "-o", str(out),
            "--no-progress", "--threads", "1")
    assert r.returncode == 0 and out.read_text().count("\tCDS\t") >= 9 and out.read_text().startswith("##gff-version 3")
