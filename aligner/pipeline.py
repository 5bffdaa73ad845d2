"""The whole job, one stage after another: audio + published text -> timed words -> flags.

    transcript = read_transcript(path)            # published words, speakers, header candidates
    audio      = load(path)                       # 16 kHz mono, as far as the file decodes
    heard      = recognize(model, audio, store)   # what Whisper hears, window by window; each
                                                  # window's encoding kept in ``store``
    plan       = checked_plan(transcript, heard)  # said / unsaid text, speech with no text,
                                                  # the words in recognition's windows
    weighing   = what_to_weigh(...)               # rival readings of differing stretches
    timed      = time_published(...)              # forced alignment on the same encodings
    timed      = without_unsaid(timed)            # text the audio lacks (squeezed into no time)
    timed      = with_untranscribed(timed)        # speech the text lacks (stretched words, edges)
    words, flags, unspoken = flagged(timed)       # structural flags + the fitted verdict's
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from . import audio as audio_mod
from . import cache, damage
from . import model as model_mod
from . import names as names_mod
from . import verdict as verdict_mod
from .errors import TranscriptMismatch
from .flags import _context as flags_context
from .flags import (OMIT_AT, TextIndex, could_pass, decide, decide_variants, evidence, focus_span,
                    judged, merged_adjacent, regions, rivals, spelling_variants, structural,
                    unsaid_probability)
from .forced import ForcedAligner, Rival, RivalFit, WordFit, align_windows
from .normalize import text_language
from .plan import (Gap, Plan, credible_speech, edge_speech, make_plan, placed_after_speech, recut_windows,
                   squeezed_candidates, settle_inline_labels, stretched_words, text_heard_again)
from .recognize import Budget, detect_language, looped, recognize, text_tokens_per_s
from .speech import reach_speech_end, snap_words, speech_intervals
from .transcript import parse_transcript, read_transcript
from .types import Alignment, HeardWord, TimedWord, Transcript
from .windows import EncodingStore, cut_windows

MIN_MATCHED = 0.20  # below this share of published words heard, the text is not this audio's
# The same on content words, which recognition in the wrong language cannot fake with articles
# and pronouns.  Measured (base model): right transcripts fleurs-fr 0.70 (0.76 of all words),
# lucier-en 0.94 (0.96); wrong ones lucier-en's text on fleurs-fr audio 0.02 (0.23 of all words:
# passed the old rule), fleurs-fr's on lucier-en 0.00 (0.08), monde-numerique's on lucier-en
# 0.00 (0.03).  20 % keeps a partial transcript of the right episode.
MIN_CONTENT_MATCHED = 0.20
DEFAULT_MIN_CONFIDENCE = verdict_mod.default_min_confidence()  # chosen with the fit (aligner/data/verdict.json)
NEAR_GAP_S = 0.5
RECOGNITION_VERSION = 7  # raise when recognize() changes what it returns: old cache entries go


@dataclass
class Options:
    model: str = "base"
    device: str = "auto"
    compute_type: str = "auto"
    language: str | None = None
    beam_size: int = 1
    cpu_threads: int = 0
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    names: list[str] = field(default_factory=list)  # names and terms the producer knows (--names)
    # Known names as recognition hotwords: off, since on monde-numerique a prompt of its 15 known
    # names derailed Whisper base (published words heard: 29 %; loops of "Schmiedoffie").
    hotwords: bool = False


class Progress:
    """Stage callbacks; the CLI plugs a progress bar in, the library default is silent."""

    def stage(self, name: str, total: float | None = None) -> None: ...

    def advance(self, amount: float) -> None: ...

    def done(self) -> None: ...


def place_words(transcript: Transcript, plan: Plan, fits: dict[int, WordFit]) -> list[TimedWord]:
    """One TimedWord per published token that is not header text never said."""
    unspoken_lines = set(plan.unspoken_lines)
    omitted = {i for run in plan.omitted_runs for i in run}
    words = []
    for tok in transcript.tokens:
        if tok.line in unspoken_lines:
            continue
        f = fits.get(tok.index)
        if f is not None:
            conf = _time_confidence(f, bool(plan.matches[tok.index]))
            words.append(TimedWord(tok, round(f.start, 3), round(f.end, 3), conf, f.prob,
                                   f.min_logprob, f.pmi, agreed=bool(plan.matches[tok.index])))
        else:
            reason = "omitted" if tok.index in omitted else ("no-speech" if not tok.norm else "unaligned")
            words.append(TimedWord(tok, None, None, 0.0, reason=reason))
    return words


def snap_fits(fits: dict[int, WordFit], transcript: Transcript,
              intervals: list[tuple[float, float]], windows=()) -> dict[int, WordFit]:
    order = sorted(fits)
    toks = [transcript.tokens[i] for i in order]
    new_turn = [k == 0 or toks[k].line != toks[k - 1].line for k in range(len(toks))]
    spans = snap_words([(fits[i].start, fits[i].end) for i in order], [t.text for t in toks],
                       new_turn, intervals)
    pos = {i: k for k, i in enumerate(order)}
    spans = reach_speech_end(spans, intervals,
                             {pos[w.words[-1]] for w in windows if w.words and w.words[-1] in pos})
    return {i: replace(fits[i], start=s, end=e) for i, (s, e) in zip(order, spans)}


def _time_confidence(f: WordFit, heard: bool) -> float:
    # Words the audio supports and recognition heard are timed within ~50 ms; unsupported ones
    # can sit a word away.
    support = 1.0 / (1.0 + np.exp(-(f.pmi - 0.5) * 1.5))
    return round(float(min(1.0, 0.35 + 0.4 * support + (0.25 if heard else 0.0))), 3)


def _as_shown(transcript: Transcript, m):
    """A flag on a web page quotes the page as its reader sees it: the flag code cuts the
    quote and its context from the file's text, which holds the markup between words."""
    if m.char_start is None:
        return m
    a, b = m.char_start, m.char_end

    def seen(x: int, y: int) -> str:  # blanked markup read as one space, as a browser shows it
        return re.sub(r"[ \t]*\n[ \t]*", "\n", re.sub(r"[ \t]+", " ", transcript.shown(x, y)))

    # 400 file characters hold the context's 30 visible ones unless the markup is very dense.
    left, quote, right = seen(max(0, a - 400), a), seen(a, b), seen(b, b + 400)
    return replace(m, transcript_text=" ".join(quote.split()),
                   context=flags_context(left + quote + right, len(left), len(left) + len(quote)))


def _in_gap(w: HeardWord, gaps) -> bool:
    """A heard word inside speech with no text: what it differs from is that speech, reported
    once as such, not a published word it happened to be aligned with."""
    return any(g.start - NEAR_GAP_S <= w.start and w.end <= g.end + NEAR_GAP_S for g in gaps)


def _model_id(model) -> str:
    """What tells one model (and its compute type) from another, for cache keys."""
    return getattr(model, "podalign_spec", type(model).__name__)


def _heard(model, piece: np.ndarray, language: str) -> list[HeardWord]:
    """One stretch recognised on its own, through the recognition cache: a second run on the
    episode hears nothing again.  A loop it falls into is left out, as in the episode's own
    recognition: it is the decoder stuck, not speech (35 s of English before fleurs-fr, heard
    alone in English: 26 words of the intro, then "or," 75 times, and the intro was judged no
    speech and never reported)."""
    words = cache.recognition(piece, lambda: recognize(model, piece, language),
                              model=_model_id(model), language=language, stretch=True,
                              version=RECOGNITION_VERSION)
    loops = looped(words)
    return [w for k, w in enumerate(words) if k not in loops]


def _rehear(model, audio: np.ndarray, language: str, t0: float, t1: float) -> list[HeardWord]:
    """Recognise one stretch again on its own."""
    a, b = audio_mod.sample_at(t0), audio_mod.sample_at(t1)
    return _heard(model, audio[a:b], language)


def _heard_as_said(model, audio: np.ndarray, language: str, gap,
                   again: list[HeardWord]) -> tuple[str, list[HeardWord]]:
    """What a stretch of speech with no text says, for the report, and the words heard: speech
    recognition gave nothing for it in the episode's language, often because it is in another
    one (an ad, a quote), so it is heard once more in the language it sounds like, marked
    "[en] ..."."""
    a, b = audio_mod.sample_at(gap.start), audio_mod.sample_at(gap.end)
    other = detect_language(model, audio[a:b])
    if other == language:
        return " ".join(w.text for w in again), again
    words = _heard(model, audio[a:b], other)
    return f"[{other}] " + " ".join(w.text for w in words), words


@dataclass(frozen=True)
class Weighing:
    """What is weighed against the published words besides them: recognition's readings where
    it differs (``regions``), usual spellings of rare ones, known names' spellings."""

    regions: list
    index: TextIndex
    variants: list
    named: list
    to_weigh: dict[int, list[tuple[int, str]]]


@dataclass(frozen=True)
class Timed:
    """The published words timed on the audio, and the plan as the timing left it."""

    plan: Plan
    fits: dict[int, WordFit]
    weighed: dict[tuple[int, str], RivalFit]  # by (first token, rival text)


def checked_plan(transcript: Transcript, heard: list[HeardWord], duration: float,
                 speech: list[tuple[float, float]], cuts: list, ends_early: bool = False) -> Plan:
    """The plan, in recognition's windows (``cuts``); a transcript too little of which was
    heard is refused (``TranscriptMismatch``)."""
    plan = make_plan(transcript, heard, duration, speech, cuts, ends_early)
    if plan.matched_fraction < MIN_MATCHED or plan.content_matched < MIN_CONTENT_MATCHED:
        raise TranscriptMismatch(
            f"the transcript does not match this audio: only {plan.content_matched:.0%} of its "
            f"content words were heard (at least {MIN_CONTENT_MATCHED:.0%} needed; "
            f"{plan.matched_fraction:.0%} of all its words)"
        )
    return plan


def what_to_weigh(transcript: Transcript, plan: Plan, heard: list[HeardWord], language: str,
                  known: list[str]) -> Weighing:
    regs = regions(transcript, plan, heard, language)
    variants = spelling_variants(transcript, plan.spoken)
    to_weigh = rivals(regs)
    for v in variants:  # the usual spelling is weighed like a heard reading
        to_weigh.setdefault(v.token, []).append((v.token + 1, v.rival))
    named = names_mod.name_matches(transcript, plan.spoken, known, language)
    for first, pairs in names_mod.rivals(named).items():  # a known name's spelling, likewise
        to_weigh.setdefault(first, []).extend(pairs)
    return Weighing(regs, TextIndex(transcript.tokens), variants, named, to_weigh)


def time_published(aligner: ForcedAligner, audio: np.ndarray, transcript: Transcript, plan: Plan,
                   heard: list[HeardWord], weighing: Weighing, language: str,
                   min_confidence: float, progress: Progress, cache_id: dict) -> Timed:
    """Force-align the published words window by window, weighing the rivals that could make
    a flag; windows cut in the wrong place are cut again and aligned again."""

    def said(i: int) -> str:  # the words aligned: sound notes glued to them left out
        return transcript.spoken_text(transcript.tokens[i])

    region_of = {(r.tokens[0], r.heard_text): r for r in weighing.regions}

    def worth(rival: Rival, fits_so_far) -> bool:  # could weighing it make a flag?
        r = region_of.get((rival.first, rival.text))
        if r is None or any(i not in fits_so_far for i in r.tokens):
            return True  # not all its words timed yet: weigh it to be safe
        return could_pass(evidence(transcript, r, heard, fits_so_far, language,
                                   index=weighing.index),
                          language, plan.matched_fraction, min_confidence)

    fits, weighed = align_windows(aligner, audio, plan.windows, said, weighing.to_weigh,
                                  progress.advance, worth, cache_id)
    recut = recut_windows(plan, fits)
    if recut:  # a cut in the wrong place: align the windows on either side of it again
        windows = list(plan.windows)
        for k, w in recut:
            windows[k] = w
        plan = replace(plan, windows=windows)
        more_fits, more_weighed = align_windows(aligner, audio, [w for _, w in recut], said,
                                                weighing.to_weigh, worth=worth, cache_id=cache_id)
        fits = {**fits, **more_fits}
        weighed = weighed + more_weighed
    by_first = {(rf.rival.first, rf.rival.text): rf for rf in weighed}  # later ones win
    return Timed(plan, fits, by_first)


def without_unsaid(timed: Timed, transcript: Transcript,
                   speech: list[tuple[float, float]]) -> Timed:
    """Text the audio lacks: runs of published words alignment squeezed into no time."""
    plan, fits = timed.plan, dict(timed.fits)
    omitted, squeezed, gone = list(plan.omitted_runs), dict(plan.squeezed), set()
    kept = list(plan.kept_squeezed)
    for sq in squeezed_candidates(plan, fits, transcript.tokens, speech):
        # Every run is weighed by the fitted verdict (``flags.structural``): those no window
        # edge explains (``sure``) are nearly always unsaid text; against an edge, an editor's
        # added sentence (recognition hears its neighbours one after the other) and words a
        # looping recognition left without anchors (monde-numerique) look alike but for the
        # neighbours.  Its words are left out when that is likelier than not (a calibrated
        # probability: 0.5 is the point where leaving them timed is the worse guess).
        if unsaid_probability(sq, plan.matched_fraction) < OMIT_AT:
            kept.append(sq)
            continue
        if sq.tokens[-1] == plan.spoken[-1]:  # text after the last thing said
            sq = replace(sq, tokens=placed_after_speech(plan, fits, sq.tokens, speech) + sq.tokens)
        omitted.append(sq.tokens)
        squeezed[sq.tokens[0]] = sq
        gone.update(sq.tokens)
    for i in gone:
        fits.pop(i, None)
    plan = replace(plan, omitted_runs=sorted(omitted), squeezed=squeezed, kept_squeezed=kept,
                   spoken=[i for i in plan.spoken if i not in gone])
    return replace(timed, plan=plan, fits=fits)


def with_untranscribed(timed: Timed, transcript: Transcript, heard: list[HeardWord],
                       speech: list[tuple[float, float]], duration: float,
                       hear_again: Callable[[Gap, int, list[int]], tuple[Gap, list] | None]) -> Timed:
    """Speech the text lacks that the plan could not see: a word stretched over seconds (the
    speech hidden inside it), and speech before the first or after the last word."""
    plan, fits = timed.plan, dict(timed.fits)
    gaps = list(plan.gaps)
    for gap, placed in stretched_words(plan, fits, transcript.tokens, heard, speech):
        if not gap.heard_in_it:
            found = hear_again(gap, gap.before_token, plan.spoken)
            if found is None or (found[1] and not credible_speech(found[1], min_words=1)):
                continue  # heard again as a loop or as marks: not speech with no text
            gap = found[0]
        gaps.append(gap)  # speech with no text, hidden inside the words' stretch
        for i, w0, w1 in placed:
            fits[i] = replace(fits[i], start=w0, end=w1)
    plan = replace(plan, gaps=gaps)
    for gap in edge_speech(plan, fits, transcript.tokens, heard, speech, duration):
        near = gap.before_token if gap.before_token in plan.spoken else plan.spoken[-1]
        found = hear_again(gap, near, plan.spoken)
        if found is not None and credible_speech(found[1]):  # not music taken for speech
            gaps.append(found[0])
    plan = replace(plan, gaps=sorted(gaps, key=lambda g: g.start))
    return replace(timed, plan=plan, fits=fits)


def _overlaps(m, spans: list[tuple[int, int]]) -> bool:
    return any(a < m.char_end and m.char_start < b for a, b in spans if a is not None)


def flagged(transcript: Transcript, timed: Timed, heard: list[HeardWord], weighing: Weighing,
            language: str, min_confidence: float
            ) -> tuple[list[TimedWord], list, list[tuple[int, int]]]:
    """The timed words, the flags (structural ones, then the verdict's on each difference),
    and the header lines never said."""
    plan, fits, by_first = timed.plan, timed.fits, timed.weighed
    words = place_words(transcript, plan, fits)
    times = {w.token.index: (w.start, w.end) for w in words if w.timed}
    mism = [m for m in structural(transcript, plan, heard, times, language)
            if m.confidence >= min_confidence]
    omitted = {i for run in plan.omitted_runs for i in run}
    regs = [r for r in weighing.regions if not omitted.intersection(r.tokens)
            and not (r.heard and all(_in_gap(heard[j], plan.gaps) for j in r.heard))]
    cands = [c for r in regs if (c := evidence(transcript, r, heard, fits, language,
                                               by_first.get((r.tokens[0], r.heard_text)),
                                               weighing.index))]
    # Every known name the audio does not clearly reject: evidence of the verdict on the words
    # it covers, and a flag of its own where no candidate is
    named = names_mod.decide_names(transcript, weighing.named, by_first, fits, heard, 0.0)
    subs = decide(transcript, cands, language, plan.matched_fraction, min_confidence, known=named)
    subs += [m for m in decide_variants(transcript, weighing.variants, by_first, fits, language,
                                        min_confidence)
             if not _overlaps(m, [(s.char_start, s.char_end) for s in subs])]
    # (a known name on words the verdict weighed it on is its decision, flagged or not)
    weighed = [focus_span(transcript, c) for c in cands if judged(c)]
    flagged_spans = [(s.char_start, s.char_end) for s in subs]
    subs = names_mod.merge(subs, [n for n in named if n.confidence >= min_confidence and (
        _overlaps(n, flagged_spans) or not _overlaps(n, weighed))])
    subs = merged_adjacent(subs, transcript.text)
    # A difference beside untranscribed speech is that speech, already reported once.
    mism += [m for m in subs if m.start is None or not any(
        g.start - NEAR_GAP_S < m.end and m.start < g.end + NEAR_GAP_S for g in plan.gaps)]
    mism.sort(key=lambda m: (m.start if m.start is not None else -1.0))
    for m in mism:  # what was heard, on the words themselves too
        if m.kind == "substitution":
            for w in words:
                if m.char_start <= w.token.char_start < m.char_end:
                    w.heard = m.heard_text
    if transcript.markup:
        mism = [_as_shown(transcript, m) for m in mism]
    never_said = set(plan.unspoken_lines)
    unspoken = [(line.label[1] if line.label else line.char_start, line.char_end)
                for line in transcript.lines if line.index in never_said]
    return words, mism, unspoken


def run_alignment(
    audio: np.ndarray,
    transcript: Transcript,
    model,
    language: str,
    heard: list[HeardWord],
    progress: Progress | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    timings: dict | None = None,
    speech: list[tuple[float, float]] | None = None,
    known: list[str] | None = None,
    store: EncodingStore | None = None,
    ends_early: bool = False,
) -> tuple[list[TimedWord], list, list[tuple[int, int]], float]:
    """Everything after recognition, one stage after another: plan, forced alignment, text
    the audio lacks, speech the text lacks, flags.  ``ends_early``: the file lacks the end of
    its audio (``damage.missing_end``)."""
    progress = progress or Progress()
    timings = timings if timings is not None else {}
    duration = audio.size / audio_mod.SAMPLE_RATE
    t = time.perf_counter()
    speech = speech if speech is not None else speech_intervals(audio)
    cuts = cut_windows(speech, duration)
    plan = checked_plan(transcript, heard, duration, speech, cuts, ends_early)
    timings["plan"] = time.perf_counter() - t

    weighing = what_to_weigh(transcript, plan, heard, language, known or [])
    aligner = ForcedAligner(model, language, store, cuts)

    def hear_again(gap: Gap, near: int, spoken: list[int]) -> tuple[Gap, list[HeardWord]] | None:
        """A stretch recognition gave nothing credible for, heard again on its own: None when it
        is published text from around token ``near`` (recognition had skipped it), else the gap
        with what it says, and the words heard."""
        again = _rehear(model, audio, language, gap.start, gap.end)
        if text_heard_again([w.norm for w in again], transcript.tokens, spoken, near, language):
            return None
        said, words = _heard_as_said(model, audio, language, gap, again)
        return replace(gap, heard_again=said), words

    progress.stage("aligning", total=len(plan.spoken))
    t = time.perf_counter()
    timed = time_published(aligner, audio, transcript, plan, heard, weighing, language,
                           min_confidence, progress,
                           # min_confidence too: it decides which rivals are weighed
                           {"model": _model_id(model), "language": language,
                            "min_confidence": min_confidence})
    timed = without_unsaid(timed, transcript, speech)
    timed = with_untranscribed(timed, transcript, heard, speech, duration, hear_again)
    timed = replace(timed, fits=snap_fits(timed.fits, transcript, speech, timed.plan.windows))
    timings["encode"] = aligner.encode_seconds
    if store is not None:
        timings["encodings_reused"], timings["encodings_new"] = store.hits, store.misses
    timings["rivals"] = aligner.rival_seconds
    timings["align"] = time.perf_counter() - t - aligner.encode_seconds - aligner.rival_seconds

    t = time.perf_counter()
    words, mism, unspoken = flagged(transcript, timed, heard, weighing, language, min_confidence)
    timings["flag"] = time.perf_counter() - t
    return words, mism, unspoken, timed.plan.matched_fraction


def align(audio_path: str, transcript_path: str, opts: Options | None = None,
          progress: Progress | None = None, loaded: tuple | None = None) -> Alignment:
    """``loaded``: what ``model.load`` returned for these options, when the caller keeps a model
    across episodes (``podalign batch`` loads it once per worker); else it is loaded here."""
    opts = opts or Options()
    progress = progress or Progress()
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    t = time.perf_counter()
    transcript = read_transcript(transcript_path, opts.language)
    progress.stage("decoding")
    decoded = audio_mod.load(audio_path)  # as far as the file allows
    samples = decoded.samples
    duration = samples.size / audio_mod.SAMPLE_RATE
    missing = damage.missing_end(decoded, duration)  # an incomplete download
    timings["decode"] = time.perf_counter() - t

    t = time.perf_counter()
    model, spec, device, compute_type = loaded or model_mod.load(opts.model, opts.device,
                                                                 opts.compute_type, opts.cpu_threads)
    timings["load_model"] = time.perf_counter() - t

    language = (opts.language or transcript.language_hint
                or text_language([transcript.spoken_text(tok) for tok in transcript.tokens],
                                 lambda: detect_language(model, samples)))
    if transcript.language_hint != language:  # numbers are matched as words of this language
        transcript = parse_transcript(transcript.text, transcript.encoding, language)
    known = names_mod.known_names(transcript, opts.names, language)  # never the body's alone
    progress.stage("recognising", total=round(duration, 1))
    t = time.perf_counter()
    last = [0.0]

    def advance(t_end: float) -> None:
        progress.advance(max(0.0, t_end - last[0]))
        last[0] = max(last[0], t_end)

    t_vad = time.perf_counter()
    speech = speech_intervals(samples)
    timings["vad"] = time.perf_counter() - t_vad
    hot = names_mod.hotwords(known) if opts.hotwords else None
    # Recognition's encodings, kept on disk for the alignment; none when the cache answers.
    store = EncodingStore()
    try:
        budget = Budget(text_tokens_per_s(model, transcript, speech))
        heard = cache.recognition(
            samples, lambda: recognize(model, samples, language, opts.beam_size, advance, speech,
                                       hot, store, budget, timings),
            model=opts.model, compute_type=compute_type, language=language, beam=opts.beam_size,
            hotwords=hot, speech=speech, budget=budget.text_tokens_per_s,
            version=RECOGNITION_VERSION)
        progress.advance(max(0.0, duration - last[0]))
        timings["recognize"] = time.perf_counter() - t
        transcript = settle_inline_labels(transcript, heard)  # lost line breaks: labels said or not

        words, mism, unspoken, matched = run_alignment(
            samples, transcript, model, language, heard, progress, opts.min_confidence, timings,
            speech, known, store, ends_early=missing is not None)
    finally:
        store.close()
    words, mism = damage.mark(words, mism, decoded.damaged + ((missing,) if missing else ()))
    progress.done()
    timings["total"] = time.perf_counter() - t_all
    return Alignment(
        audio_path=audio_path, transcript_path=transcript_path, transcript=transcript,
        language=language, duration=duration, words=words, heard=heard, mismatches=mism,
        unspoken=unspoken, model=opts.model, device=device, compute_type=compute_type,
        timings={k: round(v, 3) for k, v in timings.items()}, matched_fraction=round(matched, 4),
        warnings=damage.warnings_for(decoded.damaged, decoded.stopped, duration, missing),
    )
