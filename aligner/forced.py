"""Forced alignment of the *published* words on the audio with Whisper's own cross-attention.

For each window (at most 30 s of audio and the published words said in it) the encoder runs once;
``model.model.align`` then gives, for the given token sequence, the dynamic-time-warping path
between tokens and audio frames and each token's probability under the audio.  The same text is
also scored against the encoding of silence (computed once): the difference of the two log
probabilities (a pointwise mutual information) tells how much the audio itself supports a word,
independent of how rare the word is.
"""
from __future__ import annotations

import math
import re
from collections import ChainMap
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import ftfy
import numpy as np

from .audio import SAMPLE_RATE, sample_at
from .windows import EncodingStore, Span, encode, silence_encoding

MAX_TOKENS = 440 - 4  # decoder length 448, minus the start-of-transcript prompt and end token
FOLLOW_WORDS = 2  # published words after a stretch that its reading also affects
# A later piece of a word that the words before it make more likely than not on silence is the
# language's, not the audio's: the plural "s" of " calcul|s" (10^-0.2), of " important|s"
# (10^-0.06), the "ard" of " milli|ard" (10^-0.12).
TEXT_PREDICTS = math.log10(0.5)
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w.,?!;:…]+$")
_BRACKETS = re.compile(r"[()\[\]{}]")
_STACKED_PUNCT = re.compile(r"[,;:]+(?=[.?!…])")


@dataclass(frozen=True)
class Window:
    start: float  # audio seconds
    end: float
    words: tuple[int, ...]  # indices of the published tokens said inside


@dataclass(frozen=True)
class Rival:
    """Another reading (what recognition heard) of published words k0..k1-1 of a window."""

    k0: int
    k1: int
    text: str
    first: int  # the same stretch as published token indices [first, end)
    end: int


@dataclass(frozen=True)
class RivalFit:
    """Log10 probabilities (summed) of the published and the rival reading under the audio, with
    the same words before and after: the rival fits better when rival_lp > published_lp.  (Their
    PMI against silence was measured too, and separated real differences no better: it is not
    computed, which halves the cost of weighing.)"""

    rival: Rival
    published_lp: float
    rival_lp: float


@dataclass(frozen=True)
class WordFit:
    index: int
    start: float
    end: float
    prob: float  # mean token probability
    min_logprob: float  # lowest log10 token probability
    pmi: float  # mean log10 P(token | audio) - log10 P(token | silence)
    # Lowest log10 probability of the word's later pieces (its first token aside; marks, and
    # pieces the text alone predicts, too), None when there are none: see ``flags.body_heard``.
    body_logprob: float | None = None


def clean_for_model(text: str) -> str:
    """The published word as Whisper should read it: mojibake repaired, leading punctuation
    and trailing quotes or brackets off.  Sentence punctuation stays: Whisper was trained on
    punctuated text, and its token takes the pause after the word (monde-numerique start
    error p90 179 -> 138 ms)."""
    t = _EDGE_PUNCT.sub("", ftfy.fix_text(text)).replace("\u2019", "'")
    # Marks Whisper never writes inside or stacked on a word ("Iliad),", a label-like "Durand:."
    # in a turn) read to it as very unlikely tokens, which a rival reading would be credited for.
    t = _STACKED_PUNCT.sub("", _BRACKETS.sub("", t))
    return t or text.strip()


class ForcedAligner:
    def __init__(self, model, language: str, store: EncodingStore | None = None,
                 cuts: Sequence[Span] = ()):
        from faster_whisper.tokenizer import Tokenizer

        self.model = model
        self.store = store  # recognition's encodings, reused where a window is the same
        # Recognition's windows (``windows.cut_windows``): a window of the text that starts
        # where one of them starts and ends inside it is read from that one's encoding, kept
        # by recognition or made here, so the result is the same when recognition came from
        # the cache.
        self._cut_end = {sample_at(c.start): sample_at(c.end) for c in cuts}
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                   task="transcribe", language=language)
        self._token_cache: dict[str, list[int]] = {}
        self._sounded_cache: dict[int, bool] = {}
        self.encode_seconds = 0.0
        self.align_seconds = 0.0
        self.rival_seconds = 0.0

    def tokens_for(self, text: str) -> list[int]:
        toks = self._token_cache.get(text)
        if toks is None:
            toks = self.tokenizer.encode(" " + clean_for_model(text))
            self._token_cache[text] = toks
        return toks

    def _sounded(self, token: int) -> bool:
        """Whether a token holds letters or digits (not a mark: a pause, not a sound)."""
        got = self._sounded_cache.get(token)
        if got is None:
            got = any(ch.isalnum() for ch in self.tokenizer.decode([token]))
            self._sounded_cache[token] = got
        return got

    def encoded_span(self, start: float, end: float) -> tuple[int, int]:
        """The samples whose encoding times audio[start:end]: recognition's window when it
        starts on the same sample and holds the whole stretch, else the stretch itself."""
        a, b = sample_at(start), sample_at(end)
        c = self._cut_end.get(a)
        return (a, c) if c is not None and c >= b else (a, b)

    def _encoding(self, audio: np.ndarray, start: float, end: float):
        a, b = self.encoded_span(start, end)
        got = self.store.get(start, end) if self.store is not None else None
        if got is None:
            got = encode(self.model, audio, a / SAMPLE_RATE, b / SAMPLE_RATE)
            if b > sample_at(end) and self.store is not None:  # kept for the other windows it holds
                self.store.put(a / SAMPLE_RATE, b / SAMPLE_RATE, got)
            got = got.up_to(sample_at(end) - a)
        return got.output, got.n_frames

    def align_window(self, audio: np.ndarray, window: Window, texts: list[str],
                     rivals: list[Rival] = (),
                     worth: Callable[[Rival, dict[int, WordFit]], bool] | None = None,
                     ) -> tuple[list[WordFit], list[RivalFit]]:
        """Time ``texts`` (the published words of ``window``, in order) inside the window, and
        weigh each rival reading of a stretch of them against the published one, if ``worth``
        says, given the window's word fits, that its weight could matter."""
        import time

        if not texts:
            return [], []
        if sample_at(window.end) - sample_at(window.start) < SAMPLE_RATE // 50:
            return [], []
        t0 = time.perf_counter()
        enc, n_frames = self._encoding(audio, window.start, window.end)
        t1 = time.perf_counter()
        word_tokens = [self.tokens_for(t) for t in texts]
        flat = [t for ts in word_tokens for t in ts]
        sot = self.tokenizer.sot_sequence
        res = self.model.model.align(enc, sot, [flat], n_frames, median_filter_width=7)[0]
        sil = self.model.model.align(silence_encoding(self.model), sot, [flat], n_frames)[0]
        self.align_seconds += time.perf_counter() - t1
        self.encode_seconds += t1 - t0

        text_idx = np.array([p[0] for p in res.alignments])
        time_idx = np.array([p[1] for p in res.alignments])
        jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
        tps = self.model.tokens_per_second
        jump_times = time_idx[jumps] / tps
        probs = np.clip(np.asarray(res.text_token_probs, dtype=np.float64), 1e-12, 1.0)
        sprobs = np.clip(np.asarray(sil.text_token_probs, dtype=np.float64), 1e-12, 1.0)
        lp, slp = np.log10(probs), np.log10(sprobs)
        bounds = np.concatenate([[0], np.cumsum([len(t) for t in word_tokens])])
        sounded = [self._sounded(t) for t in flat]
        fits: list[WordFit] = []
        for k, idx in enumerate(window.words):
            i, j = int(bounds[k]), int(bounds[k + 1])
            if j <= i or j >= len(jump_times) + 1:
                continue
            start = float(jump_times[i]) if i < len(jump_times) else float(jump_times[-1])
            # The last word ends where the path leaves the audio, not where its last token
            # starts (which cut each window's last word short: fleurs-fr's turn ends by
            # 120-200 ms); the silence this gives it is trimmed by ``snap_fits``.
            end = float(jump_times[j]) if j < len(jump_times) else float(time_idx[-1]) / tps
            body = [lp[n] for n in range(i + 1, j) if sounded[n] and slp[n] < TEXT_PREDICTS]
            fits.append(WordFit(
                idx, window.start + start, window.start + max(end, start),
                float(np.mean(probs[i:j])), float(np.min(lp[i:j])), float(np.mean(lp[i:j] - slp[i:j])),
                float(min(body)) if body else None,
            ))
        t2 = time.perf_counter()
        if worth is not None:
            by_index = {f.index: f for f in fits}
            rivals = [r for r in rivals if worth(r, by_index)]
        rfits = [self._weigh(enc, n_frames, word_tokens, bounds, lp, r) for r in rivals]
        self.rival_seconds += time.perf_counter() - t2
        return fits, rfits

    def _weigh(self, enc, n_frames, word_tokens, bounds, lp, rival: Rival) -> RivalFit:
        """Score the rival reading where the published one stands, plus the next published
        words (an error also lowers the words after it)."""
        k0, k1 = rival.k0, rival.k1
        k2 = min(len(word_tokens), k1 + FOLLOW_WORDS)
        alt = self.tokenizer.encode(" " + rival.text.strip()) if rival.text.strip() else []
        pre = [t for ts in word_tokens[:k0] for t in ts]  # as in the published pass
        follow = [t for ts in word_tokens[k1:k2] for t in ts]
        seq = (pre + alt + follow)[-MAX_TOKENS:]
        n_tail = min(len(alt) + len(follow), len(seq))
        sot = self.tokenizer.sot_sequence
        r = self.model.model.align(enc, sot, [seq], n_frames)[0]
        rlp = np.log10(np.clip(np.asarray(r.text_token_probs, dtype=np.float64), 1e-12, 1.0))
        i, j = int(bounds[k0]), int(bounds[k2])
        return RivalFit(rival, published_lp=float(lp[i:j].sum()),
                        rival_lp=float(rlp[-n_tail:].sum()) if n_tail else 0.0)


def _fit_decoder(windows: list[Window], n_tokens: Callable[[int], int]) -> list[Window]:
    """Split any window whose text is longer than the decoder takes (text the audio lacks can
    pile up in one window), in two by words, its audio in proportion to their tokens."""
    out: list[Window] = []
    for w in windows:
        counts = [n_tokens(i) for i in w.words]
        if sum(counts) <= MAX_TOKENS or len(w.words) < 2:
            out.append(w)
            continue
        k = len(w.words) // 2
        t = w.start + (w.end - w.start) * sum(counts[:k]) / sum(counts)
        out += _fit_decoder([Window(w.start, t, w.words[:k]), Window(t, w.end, w.words[k:])], n_tokens)
    return out


WINDOW_CACHE_FORMAT = 2  # raise when align_window's results change (2: read from the encoding of recognition's window)


def _window_key(cache_id: dict, audio: np.ndarray, w: Window, texts: list[str],
                local: list[Rival], encoded: tuple[int, int]) -> str:
    """``encoded``: the samples the encoder saw (``ForcedAligner.encoded_span``)."""
    from . import cache

    a, b = encoded
    return cache.digest(cache_id, WINDOW_CACHE_FORMAT, a, b, sample_at(w.end), audio[a:b], texts,
                        [(r.k0, r.k1, r.text) for r in local])


def _to_cache(k: str, w: Window, fits: list[WordFit], rfits: list[RivalFit]) -> None:
    """By position in the window, not token index: an edit elsewhere shifts the indices."""
    from . import cache

    pos = {i: n for n, i in enumerate(w.words)}
    cache.store_json("windows", k, {
        "fits": [[pos[f.index], f.start, f.end, f.prob, f.min_logprob, f.pmi, f.body_logprob]
                 for f in fits],
        "rivals": [[r.rival.k0, r.rival.k1, r.rival.text, r.published_lp, r.rival_lp]
                   for r in rfits]}, format=WINDOW_CACHE_FORMAT)


def _from_cache(k: str, w: Window, local: list[Rival]):
    from . import cache

    d = cache.load_json("windows", k, format=WINDOW_CACHE_FORMAT)
    if d is None:
        return None
    try:
        by_place = {(r.k0, r.k1, r.text): r for r in local}
        fits = [WordFit(w.words[n], *rest) for n, *rest in d["fits"]]
        rfits = [RivalFit(by_place[(k0, k1, text)], plp, rlp)
                 for k0, k1, text, plp, rlp in d["rivals"]]
        return fits, rfits
    except (KeyError, IndexError, TypeError, ValueError):
        return None  # not what this window needs: aligned again


def align_windows(
    aligner: ForcedAligner,
    audio: np.ndarray,
    windows: list[Window],
    text_of: Callable[[int], str],
    rivals: dict[int, list[tuple[int, str]]] | None = None,
    progress: Callable[[int], None] | None = None,
    worth: Callable[[Rival, Mapping[int, WordFit]], bool] | None = None,
    cache_id: dict | None = None,
) -> tuple[dict[int, WordFit], list[RivalFit]]:
    """Align every window.  ``rivals`` maps a published token index (the first of a stretch)
    to (index after the stretch, rival text) pairs to weigh where the window holds them, when
    ``worth`` (given every word fit so far) does not rule it out.  With ``cache_id`` (what
    else the result depends on: model, language), each window's result is kept in the user
    cache by its audio, text and rivals: an edited transcript aligns again only the windows
    whose text changed (issue #15)."""
    fits: dict[int, WordFit] = {}
    weighed: list[RivalFit] = []
    rivals = rivals or {}
    for w in _fit_decoder(windows, lambda i: len(aligner.tokens_for(text_of(i)))):
        pos = {i: k for k, i in enumerate(w.words)}
        local = [Rival(pos[i], pos.get(end - 1, len(w.words) - 1) + 1, text, i, end)
                 for i in w.words for end, text in rivals.get(i, ())]
        check = None if worth is None else (lambda r, own: worth(r, ChainMap(own, fits)))
        texts = [text_of(i) for i in w.words]
        k = None if cache_id is None else _window_key(cache_id, audio, w, texts, local,
                                                      aligner.encoded_span(w.start, w.end))
        got_rf = None if k is None else _from_cache(k, w, local)
        if got_rf is None:
            got_rf = aligner.align_window(audio, w, texts, local, check)
            if k is not None:
                _to_cache(k, w, *got_rf)
        got, rf = got_rf
        for f in got:
            fits[f.index] = f
        weighed += rf
        if progress:
            progress(len(w.words))
    return fits, weighed
