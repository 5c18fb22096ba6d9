"""genelstm: a CNN + bidirectional LSTM gene finder and DNA language model.

Import what you need from its modules (``genelstm.annotation``, ``genelstm.decode``, ...): importing
the package itself loads nothing else, so ``import genelstm.model`` does not pull in the readers.
"""
from __future__ import annotations

__version__ = "0.1.0"
