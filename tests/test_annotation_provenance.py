"""benchmarks/annotation_provenance.py reads which gene caller created each CDS of a RAST re-annotation: it
decides which training genomes may choose settings (benchmarks/choose_on_training.py)."""
import gzip
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from annotation_provenance import creation_tools, prodigal_made  # noqa: E402

RECORD = """LOCUS       X1                       120 bp    DNA     linear   BCT 01-JAN-2000
FEATURES             Location/Qualifiers
     source          1..120
     CDS             1..30
                     /note="rasttk_feature_creation_tool=prodigal"
                     /product="a"
     CDS             complement(31..60)
                     /product="b"
                     /note="rasttk_feature_creation_tool=glimmer3"
     tRNA            61..70
                     /note="rasttk_feature_creation_tool=search_for_rnas"
     CDS             71..90
                     /product="c"
     CDS             91..120
                     /note="rasttk_feature_creation_tool=prodigal"
ORIGIN
        1 acgtacgtac
//
"""


def _write(tmp_path, text, gz):
    path = tmp_path / ("r.gbk.gz" if gz else "r.gbk")
    (gzip.open if gz else open)(path, "wt").write(text)
    return str(path)


def test_counts_each_cds_once_by_its_creation_tool(tmp_path):
    for gz in (False, True):
        tools = creation_tools(_write(tmp_path, RECORD, gz))
        # the tRNA's note is not a CDS's; the un-noted CDS counts as ''
        assert tools == {"prodigal": 2, "glimmer3": 1, "": 1}


def test_prodigal_made_needs_a_majority(tmp_path):
    assert not prodigal_made(_write(tmp_path, RECORD, False))  # 2 of 4: not a majority
    more = RECORD.replace('     CDS             71..90\n                     /product="c"\n',
                          '     CDS             71..90\n                     /note="rasttk_feature_creation_tool=prodigal"\n')
    assert prodigal_made(_write(tmp_path, more, False))  # 3 of 4
