"""Command line: ``podalign align AUDIO TRANSCRIPT`` (also ``python -m aligner``)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import PodalignError
from .verdict import default_min_confidence

FORMATS = ("srt", "vtt", "json", "podcast-json", "txt")


class BarProgress:
    """A tqdm bar per stage on stderr; silent with -q, and when stderr is not a terminal (a log
    file full of carriage returns helps nobody)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet or not sys.stderr.isatty()
        self.bar = None

    def stage(self, name: str, total: float | None = None) -> None:
        self._close()
        if self.quiet:
            return
        from tqdm import tqdm

        unit = "s" if name == "recognising" else "word"
        self.bar = tqdm(total=total, desc=f"{name:<11}", unit=unit, file=sys.stderr, leave=False,
                        dynamic_ncols=True, bar_format=None if total else "{desc}: {elapsed}")

    def advance(self, amount: float) -> None:
        if self.bar is not None:
            self.bar.update(amount)

    def done(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _fmt_time(t: float | None) -> str:
    if t is None:
        return "--:--:--"
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:04.1f}"


def report_lines(result, min_confidence: float, width: int = 100) -> list[str]:
    """The mismatch table a person reads: most certain first."""
    flags = sorted((m for m in result.mismatches if m.confidence >= min_confidence),
                   key=lambda m: -m.confidence)
    if not flags:
        return ["No mismatches to check."]
    lines = [f"{'time':<10} {'conf':>4}  {'kind':<12} {'category':<8}  published → heard"]
    for m in flags:
        pub = (m.transcript_text or "∅").replace("\n", " ")
        heard = (m.heard_text or "∅").replace("\n", " ")
        text = f"{pub[:40]} → {heard[:40]}"
        if getattr(m, "suggestion", None):
            text += f" (known: {m.suggestion[:40]})"
        lines.append(f"{_fmt_time(m.start):<10} {m.confidence:>4.2f}  {m.kind:<12} {m.category:<8}  {text}")
        if m.context:
            lines.append(f"{'':<10} {'':>4}  {m.context[:width - 16]}")
    return lines


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="podalign")
def main() -> None:
    """Align a podcast episode's audio with its published transcript."""


def _language_code(ctx, param, value: str | None) -> str | None:
    """A language code Whisper knows ("fr", also "FR" or "fr-FR"), checked before any work."""
    if value is None:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = value.strip().lower().replace("_", "-")
    code = code if code in _LANGUAGE_CODES else code.split("-")[0]
    if code not in _LANGUAGE_CODES:
        raise click.BadParameter(f"'{value}' is not a language code Whisper knows "
                                 "(two letters: fr, en, de, es, ...)")
    return code


def _episode_options(f):
    """The options ``align`` and ``batch`` share (what decides the files written)."""
    opts = [
        click.option("--language", default=None, callback=_language_code,
                     help="Language code (fr, en, ...); if omitted, read from the transcript's "
                          "words, else detected from the audio."),
        click.option("--model", default="base", show_default=True,
                     help="'base' (bundled), a size name or hub id, or a local CTranslate2 folder."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
                     show_default=True),
        click.option("--compute-type",
                     type=click.Choice(["auto", "int8", "int8_float16", "float16", "float32"]),
                     default="auto", show_default=True),
        click.option("--formats", default="srt,vtt,json", show_default=True,
                     help=f"Comma-separated, from: {','.join(FORMATS)}."),
        click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
                     help="Hide flags below this confidence (default "
                          f"{default_min_confidence()}: chosen with the fitted verdict)."),
        click.option("--max-chars", type=click.IntRange(10, 200), default=42, show_default=True),
        click.option("--max-lines", type=click.IntRange(1, 4), default=2, show_default=True),
        click.option("--max-cps", type=click.FloatRange(5, 40), default=17.0, show_default=True,
                     help="Reading speed a cue aims for, characters per second."),
        click.option("--word-timing", is_flag=True, help="Word timestamps inside VTT cues (karaoke)."),
        click.option("--no-speaker-prefix", is_flag=True, help="No 'Name:' prefix in SRT cues."),
        click.option("--no-review", is_flag=True, help="Do not write the HTML review page."),
        click.option("--names", "names_file", type=click.Path(dir_okay=True, path_type=str),
                     default=None,
                     help="File of names and terms you know are right, one per line (UTF-8, '#' "
                          "comments): recognition hotwords, and published names that sound like "
                          "one but are spelled otherwise are flagged."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar, report or summary."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _settings(language, model, device, compute_type, formats, min_confidence, max_chars,
              max_lines, max_cps, word_timing, no_speaker_prefix, no_review, names_file):
    """The command line's options as ``episode.Settings``; a bad --formats is a usage error."""
    from .episode import Settings, parse_formats
    from .pipeline import DEFAULT_MIN_CONFIDENCE

    try:
        fmts = parse_formats(formats)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--formats") from None
    return Settings(model=model, device=device, compute_type=compute_type, language=language,
                    formats=fmts,
                    min_confidence=DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence,
                    max_chars=max_chars, max_lines=max_lines, max_cps=max_cps,
                    word_timing=word_timing, speaker_prefix=not no_speaker_prefix,
                    review=not no_review, names_file=names_file)


def fail(e: BaseException, progress=None) -> None:
    """Exit as the README's table says: one line on stderr, never a traceback (unless
    PODALIGN_DEBUG asks for one)."""
    if progress is not None:
        progress.done()
    if isinstance(e, PodalignError):
        click.echo(f"podalign: error: {e}", err=True)
        sys.exit(e.exit_code)
    if isinstance(e, KeyboardInterrupt):
        click.echo("podalign: interrupted", err=True)
        sys.exit(130)
    if os.environ.get("PODALIGN_DEBUG"):
        raise e
    first = (str(e).splitlines() or [""])[0]
    click.echo(f"podalign: internal error: {type(e).__name__}: {first} "
               "(set PODALIGN_DEBUG=1 for the traceback, and please report it)", err=True)
    sys.exit(1)


@main.command()
@click.argument("audio", type=click.Path(dir_okay=True, path_type=str))
@click.argument("transcript", type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--outdir", type=click.Path(path_type=Path), default=None,
              help="Folder for the outputs (default: beside the audio).")
@click.option("--decisions", "decisions", type=click.Path(dir_okay=True, path_type=str), default=None,
              help="DECISIONS.json from the review page: flags a person kept are not reported "
                   "again (TRANSCRIPT may be the original or its corrected copy).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the recognition cache.")
@_episode_options
def align(audio, transcript, outdir, decisions, no_cache, quiet, **options):
    """Time TRANSCRIPT's words on AUDIO; write subtitles, JSON and a mismatch report."""
    from .episode import align_episode

    _no_cache(no_cache)
    settings = _settings(**options)
    out = outdir if outdir is not None else Path(audio).resolve().parent
    progress = BarProgress(quiet)
    try:
        result, written = align_episode(audio, transcript, out, Path(audio).stem, settings,
                                        progress, decisions=decisions)
    except BaseException as e:  # noqa: BLE001 - fail() sorts users' errors from bugs
        if isinstance(e, SystemExit):
            raise
        fail(e, progress)
    for w in result.warnings:  # even with -q: the results are partial
        click.echo(f"podalign: warning: {w.message}", err=True)
    if quiet:
        return
    for line in report_lines(result, settings.min_confidence):
        click.echo(line)
    click.echo("\n" + summary_line(result))
    for p in written:
        click.echo(f"wrote {p}")


def _no_cache(no_cache: bool) -> None:
    # The environment, not Settings: the cache changes no output (Settings.key() decides what a
    # batch reruns), and local workers inherit it.
    if no_cache:
        os.environ["PODALIGN_NO_CACHE"] = "1"


@main.command()
@click.argument("alignment", type=click.Path(dir_okay=True, path_type=str))
@click.argument("decisions", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The corrected transcript to write (never one of the inputs).")
@click.option("--accept-all-above", type=click.FloatRange(0, 1), default=None, metavar="CONFIDENCE",
              help="Also accept what was heard (or the known spelling) for every flag at or above "
                   "this confidence that DECISIONS does not answer.")
@click.option("--transcript", type=click.Path(dir_okay=True, path_type=str), default=None,
              help="The original transcript (default: the path ALIGNMENT records).")
def apply(alignment, decisions, output, accept_all_above, transcript):
    """Write the corrected transcript: ALIGNMENT.json's transcript with DECISIONS.json (from
    the review page's export) applied, in the original's encoding, line endings and layout."""
    from .decisions import apply_files

    try:
        res = apply_files(alignment, decisions, output, accept_all_above, transcript)
    except BaseException as e:  # noqa: BLE001 - fail() sorts users' errors from bugs
        if isinstance(e, SystemExit):
            raise
        fail(e)
    click.echo(f"wrote {res.output} ({res.changed} change(s), {res.kept} flag(s) kept as "
               f"published; {res.encoding})")


@main.group()
def cache() -> None:
    """The recognition cache under the user cache folder (the joined model is never touched)."""


@cache.command("info")
def cache_info() -> None:
    """Where the cache is, what it holds, and its size limit."""
    from . import cache as cache_mod

    for line in cache_mod.info_lines(cache_mod.info()):
        click.echo(line)


@cache.command("clear")
def cache_clear() -> None:
    """Remove every cache entry (the joined model stays)."""
    from . import cache as cache_mod

    n, size = cache_mod.clear()
    click.echo(f"removed {n} entr{'y' if n == 1 else 'ies'} ({cache_mod.human(size)}) from "
               f"{cache_mod.root()}")


def _term_as_interrupt() -> None:
    """SIGTERM stops a batch like Ctrl-C: workers stopped, the catalogue written for what is
    done (finished episodes are already in the state file)."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _manifest_language(value: str) -> str:
    """A manifest's language cell, checked like --language; ValueError when Whisper lacks it."""
    try:
        return _language_code(None, None, value)
    except click.BadParameter as e:
        raise ValueError(e.message) from None


@main.command()
@click.argument("manifest", required=False, type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--outdir", type=click.Path(path_type=Path), required=True,
              help="Catalogue folder: OUTDIR/<id>/ per episode, the state file, catalogue.csv "
                   "and catalogue.html.")
@click.option("--audio-dir", type=click.Path(path_type=str), default=None,
              help="Instead of a manifest: audio files, paired with --transcript-dir by file stem.")
@click.option("--transcript-dir", type=click.Path(path_type=str), default=None,
              help="Transcripts paired with --audio-dir by file stem (default: the audio folder).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Local worker processes, one model each (default: as many as cores and "
                   "memory allow).")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Threads per episode (default: cores / workers; with --ray, 1 per task).")
@click.option("--ray", "ray_address", default=None, metavar="auto|ADDRESS|local",
              help="Run the episodes as Ray tasks: 'auto' (RAY_ADDRESS or the running cluster), "
                   "a cluster address, or 'local' (a throwaway cluster on this machine).")
@click.option("--gpus-per-task", type=click.FloatRange(0.01, 64), default=None,
              help="With --ray and --device cuda: GPUs per episode (default 1).")
@click.option("--retry-failed", is_flag=True, help="Run episodes that failed before again.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the recognition cache.")
@_episode_options
def batch(manifest, outdir, audio_dir, transcript_dir, workers, threads, ray_address,
          gpus_per_task, retry_failed, no_cache, quiet, **options):
    """Align a catalogue: MANIFEST (CSV or JSON Lines: audio, transcript, optional language,
    names, id) or --audio-dir/--transcript-dir paired by file stem.  Each episode is written to
    OUTDIR/<id>/ as `align` writes it; running it again skips what is done and unchanged.
    Exit 10 when any episode failed."""
    from .batch import BatchOptions, run_batch
    from .manifest import pair_folders, read_manifest

    if (manifest is None) == (audio_dir is None):
        raise click.UsageError("give a MANIFEST or --audio-dir (with --transcript-dir), not both")
    if transcript_dir is not None and audio_dir is None:
        raise click.UsageError("--transcript-dir goes with --audio-dir")
    _no_cache(no_cache)
    settings = _settings(**options)
    _term_as_interrupt()
    try:
        if manifest is not None:
            cat = read_manifest(manifest, _manifest_language)
        else:
            cat = pair_folders(audio_dir, transcript_dir or audio_dir)
        if cat.unpaired and not quiet:
            click.echo(f"podalign: {len(cat.unpaired)} file(s) not paired (no file of the same "
                       f"name on the other side): {', '.join(cat.unpaired)}", err=True)
        opts = BatchOptions(workers=workers, threads=threads, ray=ray_address,
                            gpus_per_task=gpus_per_task, retry_failed=retry_failed, quiet=quiet)
        res = run_batch(cat, outdir, settings, opts)
    except BaseException as e:  # noqa: BLE001 - fail() sorts users' errors from bugs
        if isinstance(e, SystemExit):
            raise
        fail(e)
    if not quiet:
        click.echo(f"{len(cat.episodes)} episode(s): {res.done} done, {res.failed} failed"
                   f"{f', {res.pending} not run' if res.pending else ''} ({res.ran} run now, "
                   f"{res.skipped} already up to date; {res.seconds:.0f} s); "
                   f"see {Path(outdir) / 'catalogue.html'}")
    sys.exit(res.exit_code)


def _counts(keys) -> str:
    n: dict[str, int] = {}
    for k in keys:
        n[k] = n.get(k, 0) + 1
    return ", ".join(f"{c} {k}" for k, c in sorted(n.items()))


def summary_line(result) -> str:
    """The run in one line: audio length, words timed (and why the others are not), unspoken
    header spans, flags by kind, time taken."""
    timed = sum(1 for w in result.words if w.timed)
    why = _counts(w.reason or "unaligned" for w in result.words if not w.timed)
    flags = _counts(m.kind for m in result.mismatches) or "none"
    return (f"{_fmt_time(result.duration)} of audio, {timed}/{len(result.words)} words timed"
            f"{f' ({why})' if why else ''}, {len(result.unspoken)} unspoken header span(s), "
            f"flags: {flags} ({result.timings.get('total', 0):.0f} s, "
            f"{result.device}/{result.compute_type})")
