"""One episode, start to files: what ``podalign align`` does, and what each ``podalign batch``
worker does for each episode of a catalogue (locally or as a Ray task), so both write the same.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .verdict import default_min_confidence

FORMATS = ("srt", "vtt", "json", "podcast-json", "txt")


@dataclass(frozen=True)
class Settings:
    """The options ``align`` and ``batch`` share: everything that decides what is written.

    Plain values only: it crosses process boundaries (a local worker, a Ray task)."""

    model: str = "base"
    device: str = "auto"
    compute_type: str = "auto"
    language: str | None = None
    formats: tuple[str, ...] = ("srt", "vtt", "json")
    min_confidence: float = field(default_factory=default_min_confidence)
    max_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    word_timing: bool = False
    speaker_prefix: bool = True
    review: bool = True
    names_file: str | None = None

    def key(self) -> dict:
        """What a finished episode was made with, as the state file's JSON holds it (lists, not
        tuples): another key means its files are stale."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def parse_formats(text: str) -> tuple[str, ...]:
    """``"srt,vtt"`` -> ("srt", "vtt"); ValueError naming the unknown ones."""
    fmts = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return fmts


def align_episode(audio: str, transcript: str, outdir: Path, name: str, settings: Settings,
                  progress=None, loaded: tuple | None = None, cpu_threads: int = 0,
                  decisions: str | None = None):
    """Align, build the cues, write the files (atomically, see ``output``).

    Returns (the alignment, its flags at or above the bar, the paths written).  ``loaded`` is a
    model kept by the caller (``model.load``'s tuple); ``decisions`` a DECISIONS.json whose kept
    flags are not reported again; ``PodalignError`` for a user's error."""
    from .cues import CueOptions, build_cues  # heavy imports only once there is work
    from .names import read_names
    from .output import write_outputs
    from .pipeline import Options, align as run_align

    known = read_names(settings.names_file) if settings.names_file is not None else []
    dec = read_decisions(decisions, transcript) if decisions is not None else None
    check_outdir(outdir)
    opts = Options(model=settings.model, device=settings.device,
                   compute_type=settings.compute_type, language=settings.language,
                   min_confidence=settings.min_confidence, names=known, cpu_threads=cpu_threads)
    result = run_align(audio, transcript, opts, progress, loaded)
    result.mismatches = [m for m in result.mismatches if m.confidence >= settings.min_confidence]
    result.transcript_sha256, result.audio_sha256 = input_hashes(audio, transcript)
    if dec is not None:
        result.mismatches = without_kept(result, dec)
    cue_opts = CueOptions(max_chars=settings.max_chars, max_lines=settings.max_lines,
                          max_cps=settings.max_cps, speaker_prefix=settings.speaker_prefix)
    result.cues = build_cues(result.words, cue_opts, result.language, duration=result.duration)
    written = write_outputs(result, outdir, name, list(settings.formats),
                            word_timing=settings.word_timing,
                            speaker_prefix=settings.speaker_prefix, review=settings.review,
                            audio_path=audio)
    return result, written


def input_hashes(audio: str, transcript: str) -> tuple[str, str]:
    """sha256 of the transcript's and the audio's bytes ("" for one that cannot be read again:
    the run has its data already, only ``apply`` will then refuse)."""
    from .model import sha256_file

    out = []
    for p in (transcript, audio):
        try:
            out.append(sha256_file(p))
        except OSError:
            out.append("")
    return out[0], out[1]


def read_decisions(path: str, transcript: str):
    """DECISIONS.json, checked against the transcript before any work (a bad file, or decisions
    made on another transcript, should not cost a recognition first)."""
    from .decisions import from_json, span_map, sha256_text
    from .transcript import decode_transcript, read_input

    dec = from_json(read_input(path, "decisions file").decode("utf-8", "replace"), str(path))
    data = read_input(transcript, "transcript")
    text, _ = decode_transcript(data)
    span_map(dec, sha256_text(data), text)
    return dec


def without_kept(result, dec) -> list:
    """The run's flags minus those a person kept ("keep published" in the review page), matched
    by kind and character span (mapped onto the corrected text when the transcript is the
    exported copy).  ``DecisionsMismatch`` (exit 5) for decisions made on another transcript."""
    from .decisions import flag_choices, kept_spans, span_map
    from .formats import spoken_words

    text = result.transcript.text
    kept = kept_spans(dec, text, span_map(dec, result.transcript_sha256, text))
    if not kept:
        return result.mismatches
    words = [(w.token.char_start, w.token.char_end, w.start) for w in spoken_words(result)]
    out = []
    for m in result.mismatches:
        ref = flag_choices(m.kind, m.char_start, m.char_end, m.start, m.transcript_text,
                           m.heard_text, m.suggestion, text, words).ref
        if (ref.kind, ref.char_start, ref.char_end) not in kept:
            out.append(m)
    return out


def check_outdir(out: Path) -> None:
    import os

    from .errors import OutputError

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output folder {out}: {e.strerror or e}") from e
    if not os.access(out, os.W_OK):
        raise OutputError(f"output folder is not writable: {out}")
