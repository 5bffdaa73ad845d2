"""Robustness: the real-speech case made harder in the ways real episodes are, scored the same way.

Each variant is built from ``fleurs-fr`` (real read French, ten clips) with its truth moved to
match, then run through ``python -m aligner`` and ``score.py`` like any case:

- ``noise-10db``: noise mixed in at 10 dB below each reader's speech (a noisy recording);
- ``opus-16k``: re-encoded to Opus at 16 kbit/s (a low-bitrate podcast feed);
- ``edited``: one clip cut from the audio while its text stays (an omission the text does not
  know of), and 12 s of unrelated speech in another language spliced in between two clips (an ad
  the text never mentions);
- ``music-intro``: 12 s of synthetic music (chords and a kick drum) before the first clip;
- ``foreign-intro``: 35 s of English speech (the start of ``lucier-en``) before the first clip:
  an intro or ad in another language, which the text never mentions;
- ``service-notes``: the audio as is, the transcript as transcription services export it: a time
  stamp before each turn ("[00:00:47] Lecteur 2 : ..."), a "[Musique]" line between turns and a
  "(rires)" inside each turn; none of it is said, so the report should not change;
- ``editorial``: the audio as is, the transcript's four errors put right and sixteen others
  written in, of the kinds editors make (``EDITORIAL``: a wrong word, place, name or number,
  a word that is right in meaning but not what was said): more real errors on real speech than
  one case holds, and every word recognition mishears in the clips is still there to cry wolf.

    python bench/stress.py    # all variants; writes bench/results/stress.json and BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from aligner.audio import SAMPLE_RATE, decode  # noqa: E402
from bench.run import RESULTS, _save_json, find_cases, print_row, scored_run, \
    write_report  # noqa: E402

SNR_DB = 10.0
OPUS_BITRATE = 16_000
CUT_CLIP = 4  # the fifth clip (0-based): its audio goes, its text stays
AD_AFTER_CLIP = 6  # the ad goes in the pause after the seventh clip
AD_SOURCE = ("lucier-en", 20.0, 32.0)  # case, seconds: English speech the French text lacks
FOREIGN_INTRO = ("lucier-en", 0.0, 35.0, 7.0)  # case, seconds, where its speech starts
# (what is said, what the editor wrote instead): the words that differ are one real error each
EDITORIAL = [
    ("terrain montagneux", "terrain marécageux"), ("incendie malveillant", "incendie accidentel"),
    ("nos athlètes", "nos entraîneurs"), ("du tigre", "du léopard"), ("à mashhad", "à téhéran"),
    ("un mur", "un bus"), ("sa voiture", "sa moto"), ("le deuxième set", "le troisième set"),
    ("des cristaux", "des calculs"), ("l'école bennet", "l'école barnett"),
    ("d'album", "d'archive"), ("changements significatifs", "changements importants"),
    ("la révocation", "la suspension"), ("flux de circulation", "flux de voyageurs"),
    ("bloquer la fonction", "perturber la fonction"),
    ("stade de développement", "niveau de développement"),
]


def write_audio(path: Path, samples: np.ndarray, codec: str = "pcm_s16le", bit_rate: int | None = None) -> None:
    import av

    fmt = {"pcm_s16le": "wav", "libopus": "ogg", "libmp3lame": "mp3"}[codec]
    rate = {"libopus": 48_000, "libmp3lame": 44_100}.get(codec, SAMPLE_RATE)
    with av.open(str(path), "w", format=fmt) as out:
        st = out.add_stream(codec, rate=rate)
        st.layout = "mono"
        if bit_rate:
            st.bit_rate = bit_rate
        # the first sample format the codec takes (s16 for PCM and Opus, s32p for MP3)
        sample_fmt = av.codec.Codec(codec, "w").audio_formats[0].name
        resampler = av.AudioResampler(format=sample_fmt, layout="mono", rate=rate)
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
        for k in range(0, pcm.size, SAMPLE_RATE):
            frame = av.AudioFrame.from_ndarray(pcm[None, k:k + SAMPLE_RATE], format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for rf in resampler.resample(frame):
                for p in st.encode(rf):
                    out.mux(p)
        for rf in resampler.resample(None):
            for p in st.encode(rf):
                out.mux(p)
        for p in st.encode(None):
            out.mux(p)


def noisy(samples: np.ndarray, truth: dict, snr_db: float = SNR_DB, seed: int = 7) -> np.ndarray:
    """Add noise shaped like a room's (white noise through a gentle low-pass) at ``snr_db`` below
    each clip's own speech power (the clips were recorded at very different levels; a single
    level would bury the quietest reader 24 dB under it), the level gliding between clips."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(samples.size).astype(np.float32)
    noise = np.convolve(noise, np.ones(4, np.float32) / 4, mode="same")  # less hiss, more rumble
    p_noise = float(np.mean(noise ** 2))
    mids, gains = [], []
    for s in truth["segments"]:
        clip = samples[int(s["start"] * SAMPLE_RATE):int(s["end"] * SAMPLE_RATE)]
        mids.append((s["start"] + s["end"]) / 2 * SAMPLE_RATE)
        gains.append(np.sqrt(np.mean(clip ** 2) / p_noise / 10 ** (snr_db / 10)))
    gain = np.interp(np.arange(samples.size), mids, gains).astype(np.float32)
    return (samples + gain * noise).astype(np.float32)


def edited(samples: np.ndarray, truth: dict, ad: np.ndarray) -> tuple[np.ndarray, dict]:
    """Cut clip ``CUT_CLIP`` out of the audio (text kept) and splice ``ad`` in after clip
    ``AD_AFTER_CLIP``; return the new audio and the truth moved to match it."""
    segs = truth["segments"]
    cut = segs[CUT_CLIP]
    # Cut from the end of the clip before to the start of the cut clip's end pause, so the
    # pauses on either side stay natural.
    c0 = (segs[CUT_CLIP - 1]["end"] + cut["start"]) / 2
    c1 = (cut["end"] + segs[CUT_CLIP + 1]["start"]) / 2
    t_ad = (segs[AD_AFTER_CLIP]["end"] + segs[AD_AFTER_CLIP + 1]["start"]) / 2
    d_ad = ad.size / SAMPLE_RATE

    def moved(t: float) -> float:
        t2 = t - (c1 - c0) if t >= c1 else t
        return t2 + d_ad if t >= t_ad else t2

    a = samples
    pieces = [a[:int(c0 * SAMPLE_RATE)], a[int(c1 * SAMPLE_RATE):int(t_ad * SAMPLE_RATE)], ad,
              a[int(t_ad * SAMPLE_RATE):]]
    out = np.concatenate(pieces).astype(np.float32)

    t = copy.deepcopy(truth)
    t["audio_seconds"] = round(out.size / SAMPLE_RATE, 3)
    t["segments"] = [dict(s, start=round(moved(s["start"]), 3), end=round(moved(s["end"]), 3))
                     for k, s in enumerate(segs) if k != CUT_CLIP]
    kept = []
    for e in t["expected"]:
        span = e.get("transcript_span")
        if span and cut["src"][0] <= span[0] < cut["src"][1]:
            continue  # a wrong word inside the cut clip is now part of the omission
        kept.append(dict(e, start=round(moved(e["start"]), 3), end=round(moved(e["end"]), 3)))
    at = moved(c0)
    kept.append({"id": "cut", "kind": "omission", "category": "sentence", "transcript_span": cut["src"],
                 "transcript_text": "", "spoken_text": "", "start": at, "end": at})
    ad_start = moved(t_ad) - d_ad
    kept.append({"id": "ad", "kind": "insertion", "category": "ad", "transcript_span": None,
                 "transcript_text": "", "spoken_text": "(English speech)", "start": round(ad_start, 3),
                 "end": round(ad_start + d_ad, 3)})
    t["expected"] = kept
    return out, t


def jingle(seconds: float, seed: int = 3) -> np.ndarray:
    """Synthetic music: a chord progression of harmonic tones with a kick drum on the beat, at
    speech level.  Podcasts open with such beds; neither recognition nor the report should
    take them for speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    out = np.zeros_like(t)
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (196.0, 246.9, 311.1)]
    bar = 2.0
    for k, chord in enumerate(chords * int(np.ceil(seconds / bar / len(chords)))):
        m = (t >= k * bar) & (t < (k + 1) * bar)
        for f in chord:
            for h in (1, 2, 3):
                out[m] += np.sin(2 * np.pi * f * h * t[m] + rng.uniform(0, 6.28)) / (h * 6)
    beat = 0.5
    for k in range(int(seconds / beat)):
        i0 = int(k * beat * SAMPLE_RATE)
        n = min(int(0.15 * SAMPLE_RATE), out.size - i0)
        tt = np.arange(n) / SAMPLE_RATE
        out[i0:i0 + n] += 0.8 * np.sin(2 * np.pi * (60 + 60 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 20)
    return (0.1 * out / np.max(np.abs(out))).astype(np.float32)


def _prepended(samples: np.ndarray, truth: dict, before: np.ndarray) -> tuple[np.ndarray, dict]:
    """``before`` put ahead of the audio; the truth's times moved to match."""
    d = before.size / SAMPLE_RATE
    out = np.concatenate([before, samples]).astype(np.float32)
    t = copy.deepcopy(truth)
    t["audio_seconds"] = round(out.size / SAMPLE_RATE, 3)
    t["segments"] = [dict(s, start=round(s["start"] + d, 3), end=round(s["end"] + d, 3))
                     for s in truth["segments"]]
    t["expected"] = [dict(e, start=round(e["start"] + d, 3), end=round(e["end"] + d, 3))
                     for e in truth["expected"]]
    return out, t


def with_music(samples: np.ndarray, truth: dict, intro_s: float = 12.0) -> tuple[np.ndarray, dict]:
    """A music bed before the first clip; no text, no speech: nothing to report."""
    return _prepended(samples, truth, jingle(intro_s))


def with_intro(samples: np.ndarray, truth: dict, intro: np.ndarray, speech_from: float
               ) -> tuple[np.ndarray, dict]:
    """``intro`` before the first clip: speech (from ``speech_from`` s into it) the text lacks."""
    out, t = _prepended(samples, truth, intro)
    t["expected"].append({"id": "intro", "kind": "insertion", "category": "intro",
                          "transcript_span": None, "transcript_text": "",
                          "spoken_text": "(English speech)", "start": speech_from,
                          "end": round(intro.size / SAMPLE_RATE, 3)})
    return out, t


def with_notes(text: str, truth: dict) -> tuple[str, dict]:
    """Time stamps, "[Musique]" lines and "(rires)" written into the transcript (outside every
    span the truth points at); the truth's character offsets moved to match."""
    spans = [tuple(e["transcript_span"]) for e in truth["expected"] if e.get("transcript_span")]
    inserts: list[tuple[int, str]] = []
    for s in truth["segments"]:
        a, b = s["src"]
        line = text.rfind("\n", 0, a) + 1  # the clip's turn starts its line
        t = int(s["start"])
        inserts.append((line, f"[Musique]\n[{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}] "))
        gaps = [k for k in range(a, b) if text[k] == " "]
        at = next((k for k in gaps[1:] if not any(x <= k < y for x, y in spans)), None)
        if at is not None:
            inserts.append((at, " (rires)"))  # after the clip's second word
    inserts.sort()

    def start(p: int) -> int:  # text inserted at p goes before what starts there
        return p + sum(len(x) for q, x in inserts if q <= p)

    def end(p: int) -> int:  # ... and after what ends there
        return p + sum(len(x) for q, x in inserts if q < p)

    out, last = [], 0
    for q, x in inserts:
        out += [text[last:q], x]
        last = q
    out.append(text[last:])
    t = copy.deepcopy(truth)
    t["segments"] = [dict(s, src=[start(s["src"][0]), end(s["src"][1])]) for s in truth["segments"]]
    t["expected"] = [dict(e, transcript_span=[start(e["transcript_span"][0]), end(e["transcript_span"][1])])
                     if e.get("transcript_span") else dict(e) for e in truth["expected"]]
    t["unspoken"] = [[start(a), end(b)] for a, b in truth.get("unspoken", [])]
    for w in t.get("words") or []:
        if w.get("src"):
            w["src"] = [start(w["src"][0]), end(w["src"][1])]
    return "".join(out), t


def _rewritten(text: str, truth: dict, edits: list[tuple[int, int, str]]) -> tuple[str, dict]:
    """``text`` with each span (a, b) replaced (edits in order, not overlapping); the truth's
    character offsets moved to match."""
    def moved(p: int) -> int:  # an offset outside every edited span
        return p + sum(len(new) - (b - a) for a, b, new in edits if b <= p)

    out, last = [], 0
    for a, b, new in edits:
        out += [text[last:a], new]
        last = b
    out.append(text[last:])
    t = copy.deepcopy(truth)
    t["segments"] = [dict(s, src=[moved(s["src"][0]), moved(s["src"][1])]) for s in truth["segments"]]
    t["unspoken"] = [[moved(a), moved(b)] for a, b in truth.get("unspoken", [])]
    return "".join(out), t


def editorial(text: str, truth: dict) -> tuple[str, dict]:
    """The truth's own errors put right (the text says what is spoken), then ``EDITORIAL``
    written in: each one a real difference, its span the words that changed."""
    fixes = sorted((e["transcript_span"][0], e["transcript_span"][1], e["spoken_text"])
                   for e in truth["expected"] if e["kind"] == "substitution")
    text, t = _rewritten(text, truth, fixes)
    edits = sorted((text.index(was), text.index(was) + len(was), now) for was, now in EDITORIAL)
    text, t = _rewritten(text, t, edits)
    t["expected"] = []
    for k, (was, now) in enumerate(EDITORIAL):
        w, n = was.split(" "), now.split(" ")
        head = next(i for i in range(len(w)) if w[i] != n[i])  # the words that changed
        tail = next(i for i in range(len(w)) if w[-1 - i] != n[-1 - i])
        a = text.index(now) + len(" ".join(n[:head] + [""]))  # each phrase occurs once
        changed = " ".join(n[head:len(n) - tail])
        seg = next(s for s in t["segments"] if s["src"][0] <= a < s["src"][1])
        t["expected"].append({"id": f"x{k}", "kind": "substitution", "category": "word",
                              "transcript_span": [a, a + len(changed)], "transcript_text": changed,
                              "spoken_text": " ".join(w[head:len(w) - tail]),
                              "start": seg["start"], "end": seg["end"]})
    return text, t


def variants(work: Path) -> list[tuple[str, Path, Path, dict]]:
    case = next(c for c in find_cases(None) if c.name == "fleurs-fr")
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    transcript = case / "transcript.txt"
    samples = decode(str(case / "episode.mp3"))
    out = []
    p = work / "noise-10db.wav"
    write_audio(p, noisy(samples, truth))
    out.append(("noise-10db", p, transcript, truth))
    p = work / "opus-16k.ogg"
    write_audio(p, samples, "libopus", OPUS_BITRATE)
    out.append(("opus-16k", p, transcript, truth))
    name, a, b = AD_SOURCE
    other = decode(str(case.parent / name / "episode.mp3"))[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
    audio, t = edited(samples, truth, other)
    p = work / "edited.wav"
    write_audio(p, audio)
    out.append(("edited", p, transcript, t))
    audio, t = with_music(samples, truth)
    p = work / "music-intro.wav"
    write_audio(p, audio)
    out.append(("music-intro", p, transcript, t))
    name, a, b, speech_from = FOREIGN_INTRO
    intro = decode(str(case.parent / name / "episode.mp3"))[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
    audio, t = with_intro(samples, truth, intro, speech_from)
    p = work / "foreign-intro.wav"
    write_audio(p, audio)
    out.append(("foreign-intro", p, transcript, t))
    text, t = with_notes(transcript.read_text(encoding="utf-8"), truth)
    p = work / "service-notes.txt"
    p.write_text(text, encoding="utf-8")
    out.append(("service-notes", case / "episode.mp3", p, t))
    text, t = editorial(transcript.read_text(encoding="utf-8"), truth)
    p = work / "editorial.txt"
    p.write_text(text, encoding="utf-8")
    out.append(("editorial", case / "episode.mp3", p, t))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="base")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--compute-type", default="auto")
    args = ap.parse_args(argv)
    results = {"command": "python bench/stress.py", "variants": {}}
    with tempfile.TemporaryDirectory(prefix="podalign-stress-") as tmp:
        for name, audio, transcript, truth in variants(Path(tmp)):
            row = scored_run(audio, transcript, truth, args.model, args.device, args.compute_type)
            results["variants"][name] = row
            print_row(name, row)
    _save_json(RESULTS / "stress.json", results)
    write_report(REPO / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
