"""The layering the code promises, checked in a fresh interpreter: the decoders and the evaluator work on
numpy and never load torch; the network does not load the sequence readers."""
import json
import subprocess
import sys

import pytest


def loaded_after(module: str, watched: list[str]) -> list[str]:
    code = (f"import sys, json, {module}; "
            f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["genelstm.decode", "genelstm.decode_euk", "genelstm.evaluate",
                                    "genelstm.selftrain", "genelstm.genetic_code", "genelstm.gff3"])
def test_decoders_and_evaluator_never_load_torch(module):
    assert loaded_after(module, ["torch"]) == []


def test_the_network_does_not_load_the_sequence_readers():
    readers = ["genelstm.sequence", "genelstm.annotation", "Bio.SeqIO", "pyfaidx"]
    assert loaded_after("genelstm.model", readers) == []
    assert "torch" in loaded_after("genelstm.model", ["torch"])  # the check itself can see a loaded module
