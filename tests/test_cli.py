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
