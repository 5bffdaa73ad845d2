"""Speech recognition with faster-whisper's model: the *heard* words, used as evidence only.

Each window of audio (``windows.cut_windows``) is encoded once; the decoder reads it greedily,
without conditioning on previous text and within a bound on its length (a looping or garbled
recognition of robotic voices or music cannot run away), and the heard tokens are timed by
cross-attention on the same encoding, which the forced alignment then reuses.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .audio import SAMPLE_RATE
from .normalize import norm_token
from .speech import speech_within
from .types import HeardWord
from .windows import EncodingStore, cut_windows, encode, on_cpu, silent


def detect_language(model, audio: np.ndarray) -> str:
    lang, _prob, _all = model.detect_language(audio[: 30 * SAMPLE_RATE])
    return lang


# Faster-whisper's own word-timestamp settings: marks glued to the word they follow or lead.
_PREPEND = "\"'“¿([{-"
_APPEND = "\"'.。,，!！?？:：”)]}、"
# A window whose decoder says "no speech" this surely, with words it is this unsure of, is
# silence or noise: faster-whisper's defaults (no_speech_threshold, log_prob_threshold).
NO_SPEECH = 0.6
LOW_LOGPROB = -1.0
# A window's decode is bounded: at most this many tokens per second of its speech, or 1.5x
# the published text's tokens expected there, whichever is more (issue #13).  The texts run
# at 5.3 (fleurs-fr), 2.5 (lucier-en) and 5.6 (monde-numerique) tokens per second of speech,
# and a fleurs-fr window read unbounded took 119 tokens for 23 s (5.2/s): the bound leaves
# room for speech with no text (an intro, an ad) and stops a loop within a window's length.
TOKENS_PER_S = 6.0
TEXT_MARGIN = 1.5
MAX_LENGTH = 448  # Whisper's decoder
# Windows decoded together (``bench/batching.py``, 2 cores, 8 fleurs-fr windows: seconds a
# window 1.53 / 1.15 / 0.94 / 0.88 at 1 / 2 / 4 / 8); 4 keeps the encodings held at once few.
DECODE_BATCH = 4


@dataclass(frozen=True)
class Budget:
    """What bounds each window's decode: the published text's tokens per second of speech
    (None: no text to go by)."""

    text_tokens_per_s: float | None = None

    def max_new(self, speech_s: float) -> int:
        n = TOKENS_PER_S * speech_s
        if self.text_tokens_per_s:
            n = max(n, TEXT_MARGIN * self.text_tokens_per_s * speech_s)
        return max(8, int(np.ceil(n)))


def text_tokens_per_s(model, transcript, speech: list[tuple[float, float]]) -> float | None:
    """The published text's Whisper tokens per second of speech (voice activity): what a
    window's decode is bounded by (``Budget``).  All the text counts, header included: an
    upper bound is what is wanted."""
    speech_s = sum(b - a for a, b in speech)
    if speech_s < 1.0:
        return None
    text = " ".join(transcript.spoken_text(t) for t in transcript.tokens)
    # Rounded: recognition depends on it, so the recognition cache is keyed by it, and an
    # edited transcript (a word or two) must find the same entry.
    return round(len(model.hf_tokenizer.encode(text, add_special_tokens=False).ids) / speech_s, 1)


def recognize(
    model,
    audio: np.ndarray,
    language: str,
    beam_size: int = 1,
    progress: Callable[[float], None] | None = None,
    speech: list[tuple[float, float]] | None = None,
    hotwords: str | None = None,
    store: EncodingStore | None = None,
    budget: Budget | None = None,
    timings: dict | None = None,
) -> list[HeardWord]:
    """What Whisper hears, window by window (``windows.cut_windows``: at most 30 s, cut in
    pauses): each window is encoded once, decoded greedily within a bound, and its words timed
    on the same encoding.  With ``store``, the encodings are kept for the forced alignment.
    With ``speech`` (voice activity), stretches of speech recognition skipped or looped over
    are heard again on their own."""
    duration = audio.size / SAMPLE_RATE
    # Windows of digital silence (a recording started minutes early) hold nothing to hear: not
    # decoded, recognition cannot make words up there, and the windows with sound are batched
    # as they would be without the silence before them (a batch's other windows change greedy
    # decoding a little: fleurs-fr after 3 min of silence heard a dozen words otherwise).
    # So are windows where voice activity finds no speech at all, when it finds some elsewhere
    # (three minutes of room tone: decoding them heard nothing, and only changed the batches
    # the speech was read in, and with them a word; no window of the corpus or the example
    # episodes is such a window).
    windows = [w for w in cut_windows(speech if speech is not None else [], duration)
               if not silent(audio, w.start, w.end)
               and (not speech or speech_within(speech, w.start, w.end))]
    heard: list[HeardWord] = []
    hearer = _Hearer(model, language, beam_size, hotwords, budget or Budget())
    for k in range(0, len(windows), DECODE_BATCH):
        group = windows[k:k + DECODE_BATCH]
        spans = [(w.start, w.end, speech_within(speech, w.start, w.end) if speech
                  else [(w.start, w.end)]) for w in group]
        for words in hearer.hear_batch(audio, spans, store):
            heard += words
        if progress:
            progress(group[-1].end)
    if speech:
        heard = _hear_holes(hearer, audio, heard, speech, timings)
    if timings is not None:
        timings.update({f"recognize_{k}": v for k, v in hearer.seconds.items()})
    return heard


def _hear_holes(hearer: "_Hearer", audio: np.ndarray, heard: list[HeardWord],
                speech: list[tuple[float, float]], timings: dict | None) -> list[HeardWord]:
    """Recognition loops dropped, and the speech they (or a reading that stopped early)
    left without words heard again on its own."""
    duration = audio.size / SAMPLE_RATE
    loops = looped(heard)
    out = [w for k, w in enumerate(heard) if k not in loops]
    # The episode's edges count as heard: Whisper reading a full window can pass over its
    # first sentence (fleurs-fr's 0.8-9.5 s, heard in a 10 s window, not in a 29 s one).
    edges = [HeardWord("", 0.0, 0.0, 0.0, ""), HeardWord("", duration, duration, 0.0, "")]
    holes = skipped([edges[0]] + out + [edges[1]], speech)
    if timings is not None:
        timings["recognize_holes"] = len(holes)
    for t0, t1 in holes:
        a, b = max(0.0, t0 - HOLE_PAD_S), t1 + HOLE_PAD_S

        def inside(w: HeardWord) -> bool:
            return a <= (w.start + w.end) / 2 <= b

        raw, again_loops = _hear_stretch(hearer, audio, a, b, speech)
        again = [w for k, w in enumerate(raw) if k not in again_loops and inside(w)]
        if 2 * len(again_loops) > len(raw):
            # Heard alone, it loops again: the first words stay, the difference they make with
            # the text is all there is to go on ("mes recettes" x20 where "un zéro zéro zéro
            # GPU" was said).
            again = []
        out += again or [w for k, w in enumerate(heard) if k in loops and inside(w)]
    return sorted(out, key=lambda w: w.start)


HOLE_RETRIES = 2


def _hear_stretch(hearer: "_Hearer", audio: np.ndarray, a: float, b: float,
                  speech: list[tuple[float, float]]) -> tuple[list[HeardWord], set[int]]:
    """audio[a:b] heard on its own (in windows of at most 30 s), and the indices of looped
    words.  Whisper can read a fragment at the start of a stretch and stop: a hole of
    fleurs-vox-en-a padded to start on the tail of the word before it was heard "sentence."
    and nothing of the 16 s of speech after it (from the next onset, every word).  So speech
    still unheard after the last word read is heard again from its own onset, at most
    ``HOLE_RETRIES`` times.  It can also start reading late: a 14 s hole of de-mix-a was read
    from its last sentence on, the 5 s of speech before it (a year, "2002") passed over, and
    heard alone that speech is read.  So speech before the first word read is heard again on
    its own, once."""

    def hear(p0: float, p1: float) -> list[HeardWord]:
        got = []
        for piece in cut_windows([], p1 - p0):
            q0, q1 = p0 + piece.start, p0 + piece.end
            got += hearer.hear(audio, q0, q1, speech_within(speech, q0, q1))
        return got

    raw: list[HeardWord] = []
    start = a
    for _ in range(HOLE_RETRIES + 1):
        got = hear(start, b)
        raw += got
        covered = max([start] + [w.end for w in got])
        onsets = [x for x, _ in speech if covered < x < b]
        rest = speech_within(speech, onsets[0], b) if onsets else []
        if sum(y - x for x, y in rest) < HOLE_MIN_S or looped(got):
            break
        start = max(covered, onsets[0] - HOLE_PAD_S)
    first = min((w.start for w in raw), default=None)
    if first is not None and not looped(raw):
        lead = [(x, y) for x, y in speech_within(speech, a, first) if y - x >= HOLE_PIECE_S]
        if sum(y - x for x, y in lead) >= HOLE_MIN_S:
            end = min(first, lead[-1][1] + HOLE_PAD_S)
            raw = [w for w in hear(a, end) if (w.start + w.end) / 2 < first] + raw
    return raw, looped(raw)


class _Hearer:
    """One window's recognition on its encoder output: a greedy (or beam) decode without time
    stamps, then the heard tokens timed by the cross-attention alignment, as faster-whisper's
    word timestamps do, on the same encoding."""

    def __init__(self, model, language: str, beam_size: int, hotwords: str | None, budget: Budget):
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model, self.language, self.beam_size, self.budget = model, language, beam_size, budget
        self.tok = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                             language=language)
        self.suppress = list(get_suppressed_tokens(self.tok, [-1]))
        prompt = []
        if hotwords:  # known names as previous text, as faster-whisper's hotwords are given
            prompt = [self.tok.sot_prev] + self.tok.encode(" " + hotwords.strip())[-(MAX_LENGTH // 4):]
        self.prompt = prompt + list(self.tok.sot_sequence) + [self.tok.no_timestamps]
        self.seconds = {"encode": 0.0, "decode": 0.0, "time_words": 0.0}

    def hear(self, audio: np.ndarray, start: float, end: float,
             speech: list[tuple[float, float]], store: EncodingStore | None = None,
             ) -> list[HeardWord]:
        """The words heard in audio[start:end], given the voice activity inside it."""
        return self.hear_batch(audio, [(start, end, speech)], store)[0]

    def hear_batch(self, audio: np.ndarray, spans: list[tuple[float, float, list]],
                   store: EncodingStore | None = None) -> list[list[HeardWord]]:
        """The words heard in each (start, end, voice activity) window: each encoded on its
        own (batching the encoder does not pay on CPU), decoded together (it does: 1.53 s a
        window alone, 0.94 s four at a time, ``bench/batching.py`` on 2 cores)."""
        encs: list = []
        for start, end, _speech in spans:
            if end - start < 0.05:
                encs.append(None)
                continue
            t0 = time.perf_counter()
            enc = encode(self.model, audio, start, end)
            self.seconds["encode"] += time.perf_counter() - t0
            if store is not None:
                store.put(start, end, enc)
            encs.append(enc)
        # CTranslate2's Whisper decodes at most half of ``max_length`` new tokens (measured on
        # a fleurs-fr window: 50 -> 25, 100 -> 50, 200 -> 100; 448 -> Whisper's own 224).
        limits = [min(MAX_LENGTH, 2 * self.budget.max_new(sum(b - a for a, b in sp)))
                  for _, _, sp in spans]
        todo = [k for k, e in enumerate(encs) if e is not None]
        out: list[list[HeardWord]] = [[] for _ in spans]
        if not todo:
            return out
        results = self._generate([encs[k] for k in todo], max(limits[k] for k in todo))
        for k, r in zip(todo, results):
            # Greedy reading is the same whatever the batch's longest bound: cut to this one's
            tokens = r.sequences_ids[0][:limits[k] // 2]
            out[k] = self._words(tokens, r, encs[k], spans[k][0])
        return out

    def _generate(self, encs: list, max_length: int) -> list:
        """Read without time stamps: with them, Whisper closes its last segment early and
        leaves the rest of the window to a next one, which faster-whisper encodes again from
        there (lucier-en: 76 words heard of 107 said, against 105 without; fleurs-fr as many
        either way, in half the decoding time)."""
        import ctranslate2

        t1 = time.perf_counter()
        if len(encs) == 1:
            batch = encs[0].output
        else:
            batch = ctranslate2.StorageView.from_array(
                np.concatenate([np.asarray(on_cpu(e.output)) for e in encs]))
        kwargs = {"beam_size": self.beam_size, "patience": 1} if self.beam_size > 1 else \
            {"beam_size": 1, "sampling_topk": 1}
        results = self.model.model.generate(
            batch, [self.prompt] * len(encs), max_length=max_length, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=self.suppress,
            **kwargs)
        self.seconds["decode"] += time.perf_counter() - t1
        return results

    def _words(self, sequence: list[int], r, enc, start: float) -> list[HeardWord]:
        """The heard tokens as words, timed on the window's encoding."""
        from faster_whisper.transcribe import merge_punctuations

        tokens = [t for t in sequence if t < self.tok.eot]
        if not tokens:
            return []
        avg_logprob = r.scores[0] * len(tokens) / (len(tokens) + 1)
        if r.no_speech_prob > NO_SPEECH and avg_logprob < LOW_LOGPROB:
            return []
        t2 = time.perf_counter()
        words = self.model.find_alignment(self.tok, [tokens], enc.output, enc.n_frames)[0]
        merge_punctuations(words, _PREPEND, _APPEND)
        self.seconds["time_words"] += time.perf_counter() - t2
        words = [w for w in words if w["word"].strip()]
        spans = _bounded([(float(w["start"]), float(w["end"])) for w in words])
        out = [HeardWord(w["word"].strip(), round(start + a, 3), round(start + b, 3),
                         float(w["probability"]), norm_token(w["word"].strip(), self.language))
               for w, (a, b) in zip(words, spans)]
        return join_split_numbers(out, self.language)


# A heard word timed far longer than words take holds speech the reading passed over (the
# alignment must cover every frame from the window's start): fleurs-fr's first sentence, not
# read in a 29 s window, went to the next word heard, "Nous" 0.0-10.5 s.  As faster-whisper's
# word timestamps do, such a word keeps twice the median word's length (at most 0.7 s), on
# the side of the words it is read with, and the rest is a hole that is heard again.
MEDIAN_WORD_CAP_S = 0.7
LONG_WORD = 4.0  # inside a window, a word this many times that length


def _bounded(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if not spans:
        return spans
    durations = [b - a for a, b in spans]
    most = 2 * min(MEDIAN_WORD_CAP_S, float(np.median(durations)))
    out = list(spans)
    for k, (a, b) in enumerate(spans):
        if b - a <= most or (0 < k < len(spans) - 1 and b - a <= LONG_WORD * most):
            continue
        if k == len(spans) - 1 and k > 0:
            out[k] = (a, a + most)  # the end of the window, not read
        else:
            out[k] = (b - most, b)  # speech before it, not read
    return out


_NUMBER_TAIL = re.compile(r"^[.,]\d")


def join_split_numbers(words: list[HeardWord], language: str) -> list[HeardWord]:
    """Word time stamps split a number at its separator ("2" ".300", "1" ",5"): one word again,
    read as the number it is ("dos mil trescientos"), not as two."""
    out: list[HeardWord] = []
    for w in words:
        prev = out[-1] if out else None
        if prev is not None and _NUMBER_TAIL.match(w.text) and prev.text[-1:].isdigit():
            text = prev.text + w.text
            out[-1] = HeardWord(text, prev.start, w.end, min(prev.probability, w.probability),
                                norm_token(text, language))
        else:
            out.append(w)
    return out


LOOP_PERIOD = 4  # a phrase of up to this many words ...
LOOP_REPEATS = 3  # ... said this many times in a row is recognition looping, not speech;
LOOP_WORD_REPEATS = 4  # one word needs one more ("und und und" is speech)


def looped(heard: list[HeardWord], max_period: int = LOOP_PERIOD) -> set[int]:
    """Indices of words in recognition loops: one word or a phrase of a few again and again
    ("-Aber -Aber -Aber ..." over seven seconds of German, "la fin de la fin de la fin de ..."
    over a minute of monde-numerique).  Whisper stuck in a loop hears nothing of the speech
    under it, so its words are dropped and that speech heard again."""
    norms = [w.norm for w in heard]
    out: set[int] = set()
    for p in range(1, max_period + 1):
        need = (LOOP_WORD_REPEATS if p == 1 else LOOP_REPEATS) * p  # words such a loop covers
        k = p
        while k < len(norms):
            j = k
            while j < len(norms) and norms[j] and norms[j] == norms[j - p]:
                j += 1
            if j - k + p >= need:
                out.update(range(k - p, j))
            k = j + 1
    return out


HOLE_MIN_S = 1.5  # speech recognition gave no word for, before it is heard again
HOLE_PAD_S = 0.3
HOLE_PIECE_S = 0.25


def skipped(heard: list[HeardWord], speech: list[tuple[float, float]],
            min_s: float = HOLE_MIN_S) -> list[tuple[float, float]]:
    """Stretches of speech between two heard words that recognition gave no word for.  Whisper
    sometimes ends a 30 s window early with a final time stamp and moves on to the next one,
    skipping the speech in between (seen: 20 s of a German episode, 100 s of monde-numerique);
    heard alone, that speech is recognised like the rest."""
    out = []
    starts = [a for a, _ in speech]
    for prev, nxt in zip(heard, heard[1:]):
        t0, t1 = prev.end, nxt.start
        if t1 - t0 < min_s:
            continue
        inside = [(a, b) for a, b in speech_within(speech, t0, t1, starts)
                  if b - a >= HOLE_PIECE_S]  # not the tail of a heard word's own speech
        if sum(b - a for a, b in inside) >= min_s:
            out.append((inside[0][0], inside[-1][1]))
    return out
