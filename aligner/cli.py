"""Command line: ``podalign align AUDIO TRANSCRIPT`` (also ``python -m aligner``)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import OutputError, PodalignError

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


@main.command()
@click.argument("audio", type=click.Path(dir_okay=True, path_type=str))
@click.argument("transcript", type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--outdir", type=click.Path(path_type=Path), default=None,
              help="Folder for the outputs (default: beside the audio).")
@click.option("--language", default=None, callback=_language_code,
              help="Language code (fr, en, ...); if omitted, read from the transcript's words, "
                   "else detected from the audio.")
@click.option("--model", default="base", show_default=True,
              help="'base' (bundled), a size name or hub id, or a local CTranslate2 folder.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--compute-type", type=click.Choice(["auto", "int8", "int8_float16", "float16", "float32"]),
              default="auto", show_default=True)
@click.option("--formats", default="srt,vtt,json", show_default=True,
              help=f"Comma-separated, from: {','.join(FORMATS)}.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
              help="Hide flags below this confidence (default 0.5).")
@click.option("--max-chars", type=click.IntRange(10, 200), default=42, show_default=True)
@click.option("--max-lines", type=click.IntRange(1, 4), default=2, show_default=True)
@click.option("--max-cps", type=click.FloatRange(5, 40), default=17.0, show_default=True,
              help="Reading speed a cue aims for, characters per second.")
@click.option("--word-timing", is_flag=True, help="Word timestamps inside VTT cues (karaoke).")
@click.option("--no-speaker-prefix", is_flag=True, help="No 'Name:' prefix in SRT cues.")
@click.option("--no-review", is_flag=True, help="Do not write the HTML review page.")
@click.option("--names", "names_file", type=click.Path(dir_okay=True, path_type=str), default=None,
              help="File of names and terms you know are right, one per line (UTF-8, '#' "
                   "comments): recognition hotwords, and published names that sound like one "
                   "but are spelled otherwise are flagged.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, report or summary.")
def align(audio, transcript, outdir, language, model, device, compute_type, formats, min_confidence,
          max_chars, max_lines, max_cps, word_timing, no_speaker_prefix, no_review, names_file, quiet):
    """Time TRANSCRIPT's words on AUDIO; write subtitles, JSON and a mismatch report."""
    from .cues import CueOptions, build_cues  # heavy imports only once the arguments parse
    from .names import read_names
    from .output import write_outputs
    from .pipeline import DEFAULT_MIN_CONFIDENCE, Options, align as run_align

    fmts = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}",
                                 param_hint="--formats")
    min_conf = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    out = outdir if outdir is not None else Path(audio).resolve().parent
    name = Path(audio).stem
    progress = BarProgress(quiet)
    try:
        known = read_names(names_file) if names_file is not None else []
        _check_outdir(out)
        opts = Options(model=model, device=device, compute_type=compute_type, language=language,
                       min_confidence=min_conf, names=known)
        result = run_align(audio, transcript, opts, progress)
        result.mismatches = [m for m in result.mismatches if m.confidence >= min_conf]
        cue_opts = CueOptions(max_chars=max_chars, max_lines=max_lines, max_cps=max_cps,
                              speaker_prefix=not no_speaker_prefix)
        result.cues = build_cues(result.words, cue_opts, result.language, duration=result.duration)
        written = write_outputs(result, out, name, fmts, word_timing=word_timing,
                                speaker_prefix=not no_speaker_prefix, review=not no_review,
                                audio_path=audio)
    except PodalignError as e:
        progress.done()
        click.echo(f"podalign: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        progress.done()
        click.echo("podalign: interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # a bug: one line for the user, the traceback on request
        progress.done()
        if os.environ.get("PODALIGN_DEBUG"):
            raise
        first = (str(e).splitlines() or [""])[0]
        click.echo(f"podalign: internal error: {type(e).__name__}: {first} "
                   "(set PODALIGN_DEBUG=1 for the traceback, and please report it)", err=True)
        sys.exit(1)
    if quiet:
        return
    for line in report_lines(result, min_conf):
        click.echo(line)
    click.echo("\n" + summary_line(result))
    for p in written:
        click.echo(f"wrote {p}")


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


def _check_outdir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output folder {out}: {e.strerror or e}") from e
    if not os.access(out, os.W_OK):
        raise OutputError(f"output folder is not writable: {out}")
