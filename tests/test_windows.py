"""Windows of audio encoded once (``aligner.windows``), how recognition bounds and times its
reading of them (``aligner.recognize``), and how the plan puts the published words in them."""
from __future__ import annotations

import numpy as np
import pytest

from aligner.recognize import Budget, _bounded
from aligner.speech import reach_speech_end
from aligner.windows import EDGE_S, MAX_WINDOW_S, EncodingStore, Encoded, Span, cut_windows, n_frames_of


def _covers(windows: list[Span], duration: float) -> None:
    assert windows[0].start == 0.0 and windows[-1].end == duration
    assert all(w.end - w.start <= MAX_WINDOW_S + 1e-9 for w in windows)
    assert all(a.end <= b.start for a, b in zip(windows, windows[1:]))


def test_windows_are_cut_in_pauses_just_inside_them():
    # speech every 4 s, 3.5 s long: pauses of 0.5 s; a longer pause at 55-57 s
    speech = [(t, t + 3.5) for t in np.arange(0.0, 52.0, 4.0)] + [(57.0, 70.0)]
    ws = cut_windows(speech, 71.0)
    _covers(ws, 71.0)
    pauses = [(b, a) for (_, b), (a, _) in zip(speech, speech[1:])]
    for w, v in zip(ws, ws[1:]):
        p = next(p for p in pauses if p[0] <= w.end <= p[1])  # every cut is in a pause ...
        assert w.end == pytest.approx(p[0] + EDGE_S) and v.start == pytest.approx(p[1] - EDGE_S)
    assert ws[0].end > MAX_WINDOW_S - 8.0  # ... late in the window: as few windows as can be


def test_speech_with_no_pause_is_cut_at_the_limit_and_short_audio_is_one_window():
    ws = cut_windows([(0.5, 80.0)], 80.0)
    _covers(ws, 80.0)
    assert [round(w.end - w.start, 6) for w in ws[:2]] == [MAX_WINDOW_S, MAX_WINDOW_S]
    assert cut_windows([(1.0, 5.0)], 12.0) == [Span(0.0, 12.0)]
    assert cut_windows([], 0.0) == []


def test_decoding_is_bounded_by_the_text_and_by_speech():
    assert Budget(None).max_new(10.0) == 60  # 6 tokens a second with no text to go by
    assert Budget(8.0).max_new(10.0) == 120  # 1.5 x the text's rate when it is higher
    assert Budget(2.0).max_new(10.0) == 60
    assert Budget(5.0).max_new(0.0) == 8  # never nothing: voice activity misses quiet speech


def test_a_word_timed_over_speech_recognition_passed_over_keeps_a_word_s_length():
    spans = [(0.0, 10.46), (10.46, 10.62), (10.62, 10.76), (10.76, 10.9), (10.9, 11.1)]
    out = _bounded(spans)
    assert out[0] == pytest.approx((10.46 - 2 * 0.16, 10.46))  # twice the median word
    assert out[1:] == spans[1:]
    tail = _bounded([(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 9.0)])
    assert tail[-1] == pytest.approx((0.6, 1.0))  # the window's end, not read


def test_a_window_s_last_word_reaches_the_end_of_its_speech():
    intervals = [(0.0, 2.2), (3.0, 4.0)]
    spans = [(0.0, 1.0), (1.0, 2.0), (3.0, 3.9)]
    assert reach_speech_end(spans, intervals, {1}) == [(0.0, 1.0), (1.0, 2.2), (3.0, 3.9)]
    # not a window's last word, or too far, or another word in the speech: unchanged
    assert reach_speech_end(spans, intervals, set()) == spans
    assert reach_speech_end([(0.0, 1.0), (1.0, 1.5)], [(0.0, 2.2)], {1}) == [(0.0, 1.0), (1.0, 1.5)]
    assert reach_speech_end([(0.0, 1.0), (1.0, 2.0), (2.1, 2.2)], intervals, {1})[1] == (1.0, 2.0)


def test_the_store_answers_for_its_window_and_for_an_earlier_end_on_the_same_start():
    ctranslate2 = pytest.importorskip("ctranslate2")
    arr = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    with EncodingStore() as store:
        store.put(1.0, 29.0, Encoded(ctranslate2.StorageView.from_array(arr), 2801))
        got = store.get(1.0, 29.0)
        assert got.n_frames == 2801 and np.array_equal(np.asarray(got.output), arr)
        # the same start, an earlier end: the same output, read up to that end's frame
        got = store.get(1.0, 28.0)
        assert got.n_frames == n_frames_of(27 * 16000) == 2701
        assert np.array_equal(np.asarray(got.output), arr)
        # a later start, or a later end: not this window's output
        assert store.get(1.5, 29.0) is None and store.get(1.0, 29.5) is None
        assert (store.hits, store.misses) == (2, 2)
    assert store.get(1.0, 29.0) is None  # closed: its files are gone


def test_frames_are_counted_as_the_feature_extractor_counts_them():
    fe = pytest.importorskip("faster_whisper.feature_extractor").FeatureExtractor()
    for n in (16000, 16159, 16160, 197517, 480000, 490000):
        assert n_frames_of(n) == min(fe(np.zeros(n, np.float32)).shape[-1], 3000)


def test_a_change_of_window_between_unheard_words_moves_to_the_turn_s_end():
    from aligner.plan import _cut_at_sentences
    from aligner.types import Token

    texts = [("dix-huit", 0), ("personnes", 0), ("Giancarlo", 1), ("Fisichella", 1), ("a", 1)]
    tokens = [Token(k, t, 0, 0, t.lower(), None, line, False) for k, (t, line) in enumerate(texts)]
    spoken = list(range(5))
    ks = [0, 0, 0, 0, 1]  # the unheard name estimated before the cut it follows
    _cut_at_sentences(ks, spoken, {0: 54.7, 4: 57.9}, tokens)
    assert ks == [0, 0, 1, 1, 1]
    ks = [0, 0, 0, 0, 1]
    _cut_at_sentences(ks, spoken, {0: 54.7, 3: 57.0, 4: 57.9}, tokens)  # both sides heard
    assert ks == [0, 0, 0, 0, 1]


class _CountingAligner:
    """Times each word of a window at its position, weighs every rival; counts its calls."""

    def __init__(self):
        self.calls = 0

    def tokens_for(self, text):
        return [1] * len(text)

    def encoded_span(self, start, end):
        from aligner.audio import sample_at

        return sample_at(start), sample_at(end)

    def align_window(self, audio, window, texts, rivals=(), worth=None):
        from aligner.forced import RivalFit, WordFit

        self.calls += 1
        fits = [WordFit(i, window.start + k, window.start + k + 0.5, 0.9, -0.1, 1.0, None)
                for k, i in enumerate(window.words)]
        return fits, [RivalFit(r, -1.0, -2.0) for r in rivals]


def test_an_edited_transcript_aligns_again_only_the_window_whose_text_changed(tmp_path, monkeypatch):
    from aligner.forced import Window, align_windows

    monkeypatch.setenv("PODALIGN_CACHE", str(tmp_path))
    monkeypatch.delenv("PODALIGN_NO_CACHE", raising=False)
    audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 20).astype(np.float32)
    words = ["Jensen", "Wang", "ce", "matin", "et", "puis", "le", "soir"]
    windows = [Window(0.0, 10.0, (0, 1, 2, 3)), Window(10.0, 20.0, (4, 5, 6, 7))]
    fake, ident = _CountingAligner(), {"model": "fake", "language": "fr"}
    rivals = {1: [(2, "Huang")]}
    fits, weighed = align_windows(fake, audio, windows, words.__getitem__, rivals, cache_id=ident)
    assert fake.calls == 2 and len(weighed) == 1
    again, weighed2 = align_windows(fake, audio, windows, words.__getitem__, rivals, cache_id=ident)
    assert fake.calls == 2 and again == fits and weighed2 == weighed  # all from the cache
    # "Wang" -> "Huang", and a word inserted before it: the second window's words shift by one
    # index but keep their text and audio, so only the first window is aligned again
    edited = ["Jensen", "Huang", "ce", "matin", "X", "et", "puis", "le", "soir"]
    shifted = [Window(0.0, 10.0, (0, 1, 2, 3)), Window(10.0, 20.0, (5, 6, 7, 8))]
    fits3, _ = align_windows(fake, audio, shifted, edited.__getitem__, {}, cache_id=ident)
    assert fake.calls == 3
    assert [fits3[i].start for i in (5, 6, 7, 8)] == [fits[i].start for i in (4, 5, 6, 7)]


def test_digital_silence_is_silent_and_quiet_noise_is_not():
    from aligner.windows import silent
    audio = np.zeros(16000 * 40, dtype=np.float32)
    audio[16000 * 35:] = 0.01 * np.sin(np.arange(16000 * 5, dtype=np.float32))
    assert silent(audio, 0.0, 30.0) and silent(audio, 40.0, 41.0)
    assert not silent(audio, 30.0, 40.0)


class _FakeEncoderModel:
    """Just what ``windows.encode`` calls: a feature extractor and an encoder, counting passes
    (the encoder's output is a function of the model's "weights", here ``scale``)."""

    def __init__(self, folder, scale: float = 1.0):
        self.podalign_spec = f"{folder}|cpu|int8"
        self.podalign_folder = str(folder)
        self.scale = scale
        self.passes = 0

    def feature_extractor(self, samples):
        return np.zeros((80, samples.size // 160 + 1), np.float32)

    def encode(self, feats):
        import ctranslate2

        self.passes += 1
        return ctranslate2.StorageView.from_array(np.full((1, 4, 3), self.scale, np.float32))


def test_the_encoding_of_silence_is_computed_once_per_model_and_kept_beside_it(tmp_path, monkeypatch):
    from aligner.windows import DERIVED_DIR, on_cpu, silence_encoding

    monkeypatch.setenv("PODALIGN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PODALIGN_NO_CACHE", "1")  # about an episode's audio: this is the model's
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"weights")
    first = _FakeEncoderModel(folder)
    a = np.asarray(on_cpu(silence_encoding(first)))
    assert first.passes == 1
    assert silence_encoding(first) is silence_encoding(first) and first.passes == 1  # in memory
    kept = list((tmp_path / "cache" / DERIVED_DIR).glob("silence-*.npy"))
    assert len(kept) == 1 and not list((tmp_path / "cache" / DERIVED_DIR).glob(".silence-*"))

    again = _FakeEncoderModel(folder, scale=2.0)  # a new process: read from disk, not encoded
    b = np.asarray(on_cpu(silence_encoding(again)))
    assert again.passes == 0 and np.array_equal(a, b)

    kept[0].write_bytes(b"not an array")  # damaged: encoded again, written anew
    fresh = _FakeEncoderModel(folder, scale=4.0)
    assert float(np.asarray(on_cpu(silence_encoding(fresh))).max()) == 4.0 and fresh.passes == 1
    assert float(np.load(kept[0]).max()) == 4.0

    (folder / "model.bin").write_bytes(b"other weights")  # another model in the same folder
    other = _FakeEncoderModel(folder, scale=3.0)
    assert float(np.asarray(on_cpu(silence_encoding(other))).max()) == 3.0 and other.passes == 1
    assert len(list((tmp_path / "cache" / DERIVED_DIR).glob("silence-*.npy"))) == 2


def test_a_model_that_did_not_come_through_the_loader_keeps_nothing_on_disk(tmp_path, monkeypatch):
    from aligner.windows import silence_encoding

    monkeypatch.setenv("PODALIGN_CACHE", str(tmp_path / "cache"))
    m = _FakeEncoderModel(tmp_path)
    del m.podalign_spec, m.podalign_folder
    silence_encoding(m)
    assert m.passes == 1 and not (tmp_path / "cache").exists()
