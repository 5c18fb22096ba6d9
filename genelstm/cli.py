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
        except BrokenPipeError:
            raise  # the reader went away (| head): Click ends quietly with status 1
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
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
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


@main.command()
@genome_args
@annotation_opt
@click.option("-m", "--model", "model_path", help="Bundled model name or checkpoint path [prokaryote].")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Report folder.")
@click.option("--layers", help="Comma-separated representations to probe (e.g. cnn,lstm2.both) [all].")
@click.option("--properties", help="Comma-separated properties to probe [all].")
@click.option("--max-positions", type=click.IntRange(100), default=4000, show_default=True,
              help="Positions per property (half fit, half scored), stratified by class.")
@click.option("--max-bases", type=click.IntRange(1000), default=300_000, show_default=True,
              help="Bases read from each half of the records.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_user_errors
def probe(genomes, annotations, model_path, output, layers, properties, max_positions, max_bases, seed, threads,
          no_progress) -> None:
    """Linear-probe report: what each layer of the frozen model encodes, against three controls
    (random weights, one-hot window, shuffled labels), with gate metaplots, novelty and motif logos.

    Writes OUTPUT/report.html, probes.json and probes.tsv; prints a one-screen summary.
    """
    from pathlib import Path

    from . import checkpoint
    from . import probe as pr
    from . import probe_report
    from .annotation import load_all
    from .dataset import tracks_of
    from .models import resolve
    from .device import set_threads

    set_threads(threads)
    model, _, _ = checkpoint.load_model(resolve(model_path))
    tracks = []
    for ag in load_all(list(genomes), list(annotations)):
        if not ag.annotated:
            raise click.ClickException(f"{ag.sources[0]}: probing needs an annotation (-a) for this genome")
        tracks += tracks_of(ag)
    split = lambda v: [x for x in v.split(",") if x] if v else None  # noqa: E731
    result = pr.run(model, tracks, max_positions=max_positions, max_bases=max_bases, seed=seed,
                    properties=split(properties), representations=split(layers), progress=not no_progress)
    probe_report.write(Path(output), result)
    probe_report.screen(sys.stdout, result)


@main.command()
@click.argument("genomes", nargs=-1, type=click.Path(dir_okay=False))
@annotation_opt
@click.option("--corpus", type=click.Path(dir_okay=False),
              help="Split file (TSV: file, clade, role train|val|test) naming a corpus of genomes instead of GENOMES.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Folder of the corpus files [the split file's folder].")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Where corpus encodings are stored, memory-mapped [$GENELSTM_CACHE/corpus].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Checkpoint to write (best epoch).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="YAML file with any of these options.")
@click.option("--objective", type=click.Choice(["tag", "lm", "both"]), help="Gene tagging, next-base modelling, or both [both].")
@click.option("--init", type=click.Path(dir_okay=False), help="Start from this checkpoint's weights and architecture (fine-tuning); --offset-heads, "
                   "--attention and a larger --hidden are added to it starting as the identity.")
@click.option("--epochs", type=click.IntRange(1), help="Epochs [10].")
@click.option("--max-steps", type=click.IntRange(1), help="Stop after this many optimiser steps.")
@click.option("--max-minutes", type=click.FloatRange(0, min_open=True),
              help="Wall-clock budget: training stops (and the learning rate has decayed) by then. Not bit-reproducible.")
@click.option("--steps-per-epoch", type=click.IntRange(1), help="Steps per epoch [one pass over the training bases].")
@click.option("--batch-size", type=click.IntRange(1), help="Windows per step [16].")
@click.option("--window", type=click.IntRange(1), help="Window length in bases, a multiple of the pool factor [2700].")
@click.option("--lr", type=click.FloatRange(0, min_open=True), help="Peak learning rate [2e-3].")
@click.option("--start-choice-weight", type=click.FloatRange(0),
              help="Weight of the per-gene start-choice loss: each annotated start against the other start codons "
                   "of its open frame [0].")
@click.option("--cell", type=click.Choice(["lstm", "gru", "peephole", "cifg"]),
              help="Recurrent cell [lstm]; peephole and cifg are hand-written and slower.")
@click.option("--attention", type=click.IntRange(0),
              help="Radius in chunks of a local attention layer over the LSTM states, for tagging [0 = none].")
@click.option("--offset-heads/--no-offset-heads", default=None,
              help="Tell the base-level heads each base's offset inside its chunk [off].")
@click.option("--hidden", type=click.IntRange(1), help="Hidden units per direction [128].")
@click.option("--layers", type=click.IntRange(1), help="Recurrent layers per direction [2].")
@click.option("--pool", type=click.IntRange(1), help="Downsampling factor between CNN and LSTM [9].")
@click.option("--val-genome", "val_genomes", multiple=True, type=click.Path(dir_okay=False),
              help="Whole genome files used only for validation (repeatable).")
@click.option("--val-annotation", "val_annotations", multiple=True, type=click.Path(dir_okay=False),
              help="Annotation of FASTA validation genomes (repeatable).")
@click.option("--val-records", help="Comma-separated record IDs held out for validation.")
@click.option("--val-pattern", help="Glob pattern of record IDs held out for validation (e.g. 'KL1*').")
@click.option("--val-fraction", type=click.FloatRange(0, 1, max_open=True), help="Fraction of records held out (seeded).")
@click.option("--seed", type=int, help="Random seed [0].")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Where to train [cpu].")
@click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
@click.option("--metrics", "metrics_path", type=click.Path(dir_okay=False), help="Per-epoch JSONL [OUTPUT with .metrics.jsonl].")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from OUTPUT.resume.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_user_errors
def train(genomes, annotations, corpus, data_dir, cache_dir, output, config_file, init, val_genomes, val_annotations,
          val_records, metrics_path, resume, no_progress, **overrides) -> None:
    """Train the CNN + bidirectional LSTM on annotated genomes.

    GENOMES are FASTA (with -a annotations), GenBank or EMBL files. Every option can also live in
    --config FILE.yaml; options given here win. The best epoch (validation coding F1, or bits per
    base for --objective lm) is written to OUTPUT; per-epoch metrics go to a JSONL file.

    With --corpus, genomes come from a split file, are encoded once into a memory-mapped cache,
    sampled evenly across clades and genomes, and the epoch is chosen by gene-level F1 on the
    split's validation genomes.
    """
    from .config import load_config
    from .train import TrainInputs, run

    if val_records is not None:
        overrides["val_records"] = [r for r in val_records.split(",") if r]
    cfg = load_config(config_file, overrides)
    if not genomes and not corpus:
        raise click.UsageError("give GENOMES or --corpus")
    inputs = TrainInputs(list(genomes), list(annotations), list(val_genomes), list(val_annotations),
                         corpus=corpus, data_dir=data_dir, cache_dir=cache_dir)
    best = run(cfg, inputs, output, metrics_path=metrics_path, init=init, resume=resume, progress=not no_progress,
               widen=overrides["hidden"] if init else None)
    click.echo(json.dumps(best, sort_keys=True), err=True)


@main.command()
@click.argument("genome", type=click.Path(dir_okay=False))
@click.option("-m", "--model", "model_path",
              help="Bundled model name or checkpoint path [prokaryote; with --mode eukaryote: fungi].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="GFF3 to write ('-' for stdout).")
@click.option("--proteins", type=click.Path(dir_okay=False), help="Also write protein FASTA here.")
@click.option("--cds", type=click.Path(dir_okay=False), help="Also write CDS nucleotide FASTA here.")
@click.option("--tracks", type=click.Path(file_okay=False), help="Folder for bedGraph probability tracks.")
@click.option("--mode", type=click.Choice(["prokaryote", "eukaryote"]), help="Gene grammar [from the model].")
@click.option("--table", type=click.IntRange(1, 33),
              help="NCBI translation table [prokaryote: 11, or 4 where the input's open frames show TGA read "
                   "as tryptophan (read per group where the records are of several genomes; inputs under 20 kb "
                   "are decoded under both and read as the one their genes favour); eukaryote: 1].")
@click.option("--min-score", type=float,
              help="Gene score threshold: higher for precision, lower for sensitivity [the model's, else 0].")
@click.option("--min-length", type=click.IntRange(3), default=90, show_default=True, help="Shortest gene (bp, with stop).")
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True, help="Windows per forward pass.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="bf16 is about 2x faster on CPUs with native bfloat16; auto uses it there.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="cpu", show_default=True)
@click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
@click.option("--no-adapt", is_flag=True,
              help="No per-genome self-training (on by default for prokaryote inputs of 20 kb or more).")
@click.option("--circular", is_flag=True,
              help="Every record is circular (GenBank/EMBL records marked circular are treated so anyway): "
                   "genes may cross the origin.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_user_errors
def predict(genome, model_path, output, proteins, cds, tracks, mode, table, min_score, min_length, batch_size,
            precision, device, threads, no_adapt, circular, no_progress) -> None:
    """Predict genes in GENOME (FASTA, plain or gzip, or GenBank/EMBL) and write sorted GFF3.

    Every record of any length is computed as if the network saw it whole, block by block; both
    strands are searched. On circular records (prokaryote mode) genes may cross the origin: they are
    written past the record's end, as NCBI does, under a region row with Is_circular=true. With no
    genes found the GFF3 is still valid (header only) and the exit code is 0.
    """
    import os

    from . import checkpoint
    from .infer import native_bf16
    from .predict import PredictOptions, decoder_options, eukaryote_decoder_options, run
    from .device import pick_device, set_threads
    from .models import default_for, resolve
    from .sequence import read_sequences

    set_threads(threads)
    if model_path is None:
        model_path = default_for(mode)
        if mode == "eukaryote":
            click.echo(f"eukaryote mode: using the bundled model '{model_path}'", err=True)
    model_path = resolve(model_path)
    model, _, ck = checkpoint.load_model(model_path)
    dev = pick_device(device)
    model.to(dev)
    g = read_sequences(genome)
    mode = mode or ck.get("data", {}).get("mode", "prokaryote")
    tuned = decoder_options(ck) if mode == "prokaryote" else eukaryote_decoder_options(ck)
    if min_score is not None:  # for every path: with self-training, and the network alone (--no-adapt, small inputs)
        tuned["min_score"] = min_score
        if tuned.get("small"):
            tuned["small"] = {**tuned["small"], "min_score": min_score}
    opts = PredictOptions(mode=mode, table=table, min_length=min_length,
                          batch_size=batch_size, block_overlap=200_000 if mode == "eukaryote" else 60_000,
                          bf16=precision == "bf16" or (precision == "auto" and dev.type == "cpu" and native_bf16()),
                          adapt=not no_adapt, circular=circular, **tuned)
    n = run(model, os.path.basename(model_path), g, output, opts, proteins=proteins, cds=cds, tracks=tracks,
            device=dev, progress=not no_progress)
    if n == 0:
        click.echo("genelstm: no genes found; the GFF3 has a header and no features", err=True)
    log.info("%d genes written to %s", n, output)


@main.command()
@click.option("-r", "--reference", required=True, type=click.Path(dir_okay=False),
              help="Reference annotation: GFF3, GTF, GenBank or EMBL.")
@click.option("-p", "--prediction", required=True, type=click.Path(dir_okay=False), help="Predicted GFF3.")
@click.option("-g", "--genome", type=click.Path(dir_okay=False),
              help="Genome FASTA for a GFF3/GTF reference (lets CDS without their stop codon be completed).")
@click.option("-k", "--tolerance", type=click.IntRange(0), default=0, show_default=True,
              help="Boundary events match within this many bp.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write all numbers as JSON.")
@click.option("--tsv", "tsv_out", type=click.Path(dir_okay=False), help="Write the table as TSV.")
@_user_errors
def evaluate(reference, prediction, genome, tolerance, json_out, tsv_out) -> None:
    """Compare predicted genes with a reference: bases, exons, genes (three rules), boundary events.

    Prints a table of sensitivity, precision and F1 on stdout.
    """
    from . import evaluate as ev
    from .atomic import atomic_text

    ev.check_inputs(reference, genome)
    g, ref, pred, skipped = ev.reference_models(reference, genome, prediction)
    if skipped:
        log.info("%d reference genes left out (pseudogenes, trans-spliced)", skipped)
    res = ev.evaluate(g, ref, pred, tolerance=tolerance)
    res["reference_genes_left_out"] = skipped
    ev.write_table(sys.stdout, res)
    if json_out:
        with atomic_text(json_out) as fh:
            ev.write_json(fh, res)
    if tsv_out:
        with atomic_text(tsv_out) as fh:
            ev.write_tsv(fh, res)


@main.command()
@click.argument("name", required=False)
@_user_errors
def models(name) -> None:
    """List the bundled models, or print one model's card (data, splits, metrics, limits)."""
    from . import checkpoint
    from .models import available, card

    if name:
        if name not in available():
            raise click.ClickException(f"no bundled model named {name!r} (have: {', '.join(available()) or 'none'})")
        click.echo(card(name))
        return
    for n, path in available().items():
        ck = checkpoint.read(path)
        m = ck.get("metrics", {})
        click.echo(f"{n}\t{ck['data'].get('mode', '?')}\tgenelstm {ck['package_version']}\t"
                   f"val coding F1 {m.get('val_coding_f1', '?')}\t{path.stat().st_size / 1e6:.1f} MB")


@main.command()
@click.argument("genomes", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-m", "--model", "model_path", help="Bundled model name or checkpoint path [prokaryote].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="Per-record table (TSV).")
@click.option("--tracks", type=click.Path(file_okay=False), help="Folder for surprisal.bedgraph and atypical.bed.")
@click.option("--window", type=click.IntRange(10), default=1000, show_default=True, help="Track window (bp).")
@click.option("--z", "z_cut", type=float, default=3.0, show_default=True,
              help="Atypical: windows this many robust SDs above the genome's median surprisal.")
@click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="cpu", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_user_errors
def score(genomes, model_path, output, tracks, window, z_cut, threads, device, no_progress) -> None:
    """Bits per base of each record under the next-base model, beside k-mer baselines fitted to the
    same input, with surprisal tracks and atypical regions (islands, phage, contamination) as BED."""
    from pathlib import Path

    from . import checkpoint
    from . import score as sc
    from .models import resolve
    from .atomic import atomic_text
    from .sequence import read_sequences
    from .device import pick_device, set_threads

    set_threads(threads)
    dev = pick_device(device)
    model, _, _ = checkpoint.load_model(resolve(model_path))
    model.to(dev)
    scores, base = [], {}
    for g in genomes:
        genome = read_sequences(g)
        scores += sc.score_genome(model, genome, window=window, device=dev, progress=not no_progress)
        base = sc.kmer_baselines(genome) if len(genomes) == 1 else {}
    with atomic_text(output) as fh:
        sc.write_table(fh, scores, base)
    if tracks:
        Path(tracks).mkdir(parents=True, exist_ok=True)
        with atomic_text(Path(tracks) / "surprisal.bedgraph") as fh:
            sc.write_bedgraph(fh, scores)
        with atomic_text(Path(tracks) / "atypical.bed") as fh:
            sc.write_bed(fh, sc.atypical_regions(scores, z=z_cut))


@main.command()
@click.argument("genomes", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-m", "--model", "model_path", help="Bundled model name or checkpoint path [prokaryote].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Adapted checkpoint.")
@click.option("--max-minutes", type=click.FloatRange(0, min_open=True), default=10.0, show_default=True)
@click.option("--val-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.2,
              show_default=True, help="Share of 50 kb pieces held out for early stopping.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=click.IntRange(1), help="CPU threads for torch.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="cpu", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_user_errors
def adapt(genomes, model_path, output, max_minutes, val_fraction, seed, threads, device, no_progress) -> None:
    """Adapt a model to genomes of one species, without annotation: self-training labels them.

    predict's self-training calls genes on GENOMES; the network is fine-tuned on those calls (tagging)
    together with next-base prediction on the same sequence, early-stopped on held-out 50 kb pieces. The
    adapted checkpoint records what it was adapted on and keeps the model's decoder settings; predict
    and score accept it.
    """
    from .adapt import adapt as run_adapt
    from .models import resolve

    best = run_adapt(resolve(model_path), list(genomes), output, max_minutes=max_minutes, val_fraction=val_fraction,
                     seed=seed, threads=threads, device=device, progress=not no_progress)
    click.echo(f"held-out bits/base: {best.get('val_bits_before')} before, {best.get('val_bits_per_base')} after",
               err=True)


def entry() -> None:
    """The ``genelstm`` program: ``main``, then a quick exit. Once torch is loaded, the interpreter's own
    teardown takes about 0.4 s on the development machine (a fifth of predict's start-up); every output
    is closed by then, so after the exit handlers (logging, temporary folders) and a flush the process
    ends at once, with Click's exit status. Errors that are not SystemExit still end in a traceback, and a
    process under a profiler or tracer (cProfile, coverage, a debugger) ends the ordinary way, so they can
    write what they gathered."""
    import atexit
    import os

    if sys.getprofile() is not None or sys.gettrace() is not None:
        main()
        return
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1  # stdout closed early fails the command, as without this exit
    os._exit(code or 0)
