"""The command line: a thin Click layer over the library. User errors become one line and exit 1."""
from __future__ import annotations

import json
import logging
import sys
from functools import wraps

import click

from . import __version__
from .errors import GenelstmError

log = logging.getLogger("genelstm")


def _user_errors(fn):
    """Turn the project's own errors (and bad option values) into a one-line CLI error."""

    @wraps(fn)
    def inner(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GenelstmError as exc:
            raise click.ClickException(str(exc)) from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    return inner


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="genelstm")
@click.option("-v", "--verbose", count=True, help="More messages on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def main(verbose: int, quiet: bool) -> None:
    """genelstm: find genes in DNA with a CNN + bidirectional LSTM, and model DNA base by base.

    Results go to files or stdout; messages and progress go to stderr.
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose + 1, 2)]
    logging.basicConfig(level=level, format="genelstm: %(levelname)s: %(message)s", stream=sys.stderr)


genome_args = click.argument("genomes", nargs=-1, required=True, type=click.Path(dir_okay=False))
annotation_opt = click.option(
    "-a", "--annotation", "annotations", multiple=True, type=click.Path(dir_okay=False),
    help="GFF3, GTF, GenBank or EMBL annotation of the FASTA genomes (repeatable).",
)


@main.command()
@genome_args
@annotation_opt
@click.option("--all-isoforms", is_flag=True, help="Check every isoform, not only the longest CDS per gene.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON instead of a TSV table.")
@_user_errors
def inspect(genomes: tuple[str, ...], annotations: tuple[str, ...], all_isoforms: bool, as_json: bool) -> None:
    """Read genomes and annotations, check every gene against the sequence, and report.

    Prints, per genome, the genes read, those usable as training labels, and those masked
    with the reason (bad start, internal stop, no stop, pseudogene, trans-spliced, ...).
    GenBank/EMBL files carry their own annotation; a FASTA genome takes -a files.
    """
    from .annotation import load_all
    from .report import annotation_summary, write_summary_tsv

    rows = [annotation_summary(ag) for ag in load_all(list(genomes), list(annotations), all_isoforms=all_isoforms)]
    if as_json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_summary_tsv(sys.stdout, rows)


def _not_yet(name: str):
    @main.command(name=name, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def cmd(args: tuple[str, ...]) -> None:
        raise click.ClickException(f"'genelstm {name}' is not available in this version yet")

    cmd.__doc__ = {
        "train": "Train the CNN + BiLSTM model (not available yet).",
        "predict": "Predict genes as GFF3 (not available yet).",
        "evaluate": "Compare predicted genes with a reference (not available yet).",
        "probe": "Linear-probe interpretability report (not available yet).",
    }[name]
    cmd.help = cmd.__doc__
    return cmd


for _name in ("train", "predict", "evaluate", "probe"):
    _not_yet(_name)
