"""genelstm: a CNN + bidirectional LSTM gene finder and DNA language model."""
from __future__ import annotations

__version__ = "0.1.0"

from .annotation import AnnotatedGenome, load
from .errors import GenelstmError, InputError
from .genemodel import Gene, Transcript
from .labels import EVENTS, REGIONS, Labels
from .sequence import FastaGenome, Genome, Record

__all__ = [
    "__version__",
    "AnnotatedGenome",
    "EVENTS",
    "FastaGenome",
    "Gene",
    "GenelstmError",
    "Genome",
    "InputError",
    "Labels",
    "REGIONS",
    "Record",
    "Transcript",
    "load",
]
