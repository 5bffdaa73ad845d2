"""Does batching windows pay on this machine?  Issue #13 asks to measure batch sizes 1/2/4/8
through Whisper's encoder, the greedy decode and the cross-attention alignment before using them.

    python bench/batching.py [AUDIO] [--sizes 1 2 4 8] [--device cpu] [--threads N] [--save]

Cuts the audio (default: fleurs-fr from ../shared/episodes) into podalign's windows, then runs
each stage on batches of each size and prints the seconds per window, one line per stage and
size, and the same as JSON on the last line.  Each stage is timed on the same windows for every
size.  With ``--save`` the figures go to ``bench/results/batching.json`` and ``bench/run.py``
renders them into BENCHMARKS.md: they are the floor under any run that hears the whole episode
(every window encoded once and decoded once), which issue #13's times-real-time bars are set
against.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aligner import audio as audio_mod  # noqa: E402
from aligner import model as model_mod  # noqa: E402
from aligner.speech import speech_intervals  # noqa: E402
from aligner.windows import cut_windows  # noqa: E402


def features(model, samples: np.ndarray, windows) -> list[np.ndarray]:
    from faster_whisper.audio import pad_or_trim

    out = []
    for w in windows:
        seg = samples[int(w.start * audio_mod.SAMPLE_RATE):int(w.end * audio_mod.SAMPLE_RATE)]
        out.append(pad_or_trim(model.feature_extractor(seg)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("audio", nargs="?",
                    default=str(REPO.parent / "shared" / "episodes" / "fleurs-fr" / "episode.mp3"))
    ap.add_argument("--sizes", nargs="*", type=int, default=[1, 2, 4, 8])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--language", default="fr")
    ap.add_argument("--save", action="store_true", help="write bench/results/batching.json")
    a = ap.parse_args(argv)

    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    model, _spec, device, ct = model_mod.load("base", a.device, "auto", a.threads)
    samples = audio_mod.load(a.audio).samples
    windows = cut_windows(speech_intervals(samples), samples.size / audio_mod.SAMPLE_RATE)
    n = max(a.sizes)
    windows = (windows * ((n + len(windows) - 1) // len(windows)))[:n]  # n windows, repeated
    feats = features(model, samples, windows)
    tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=a.language)
    prompt = list(tok.sot_sequence) + [tok.no_timestamps]
    rows = []
    for size in a.sizes:
        enc_s = dec_s = ali_s = 0.0
        for k in range(0, n, size):
            batch = np.stack(feats[k:k + size])
            t = time.perf_counter()
            enc = model.model.encode(ctranslate2.StorageView.from_array(batch), to_cpu=False)
            enc_s += time.perf_counter() - t
            t = time.perf_counter()
            res = model.model.generate(enc, [prompt] * len(batch), beam_size=1, max_length=448)
            dec_s += time.perf_counter() - t
            seqs = [[x for x in r.sequences_ids[0] if x < tok.eot] or [tok.eot - 1] for r in res]
            t = time.perf_counter()
            model.model.align(enc, tok.sot_sequence, seqs, [3000] * len(batch))
            ali_s += time.perf_counter() - t
        rows.append({"batch": size, "encode_s_per_window": round(enc_s / n, 3),
                     "decode_s_per_window": round(dec_s / n, 3),
                     "align_s_per_window": round(ali_s / n, 3)})
        print(f"batch {size}: encode {enc_s / n:.3f} s, decode {dec_s / n:.3f} s, "
              f"align {ali_s / n:.3f} s per window", flush=True)
    data = {"device": device, "compute_type": ct, "windows": n, "rows": rows,
            "audio": Path(a.audio).name,
            "window_s": round(sum(w.end - w.start for w in windows) / len(windows), 2)}
    print(json.dumps(data))
    if a.save:
        from bench.common import RESULTS, machine_info

        data = {"command": "python bench/batching.py --save", "machine": machine_info(), **data}
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "batching.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


def render(data: dict) -> list[str]:
    """The floor: what encoding and decoding every window once costs, and the times real time
    that leaves, before anything else a run does."""
    m = data.get("machine", {})
    rows = data.get("rows", [])
    w = data.get("window_s") or 30.0
    L = ["## The floor of hearing every window (`bench/batching.py --save`)", "",
         f"{data.get('windows')} windows of podalign's cut ({w} s of audio each on average, "
         f"{data.get('audio')}), model base {data.get('compute_type')} on {data.get('device')}, "
         f"{m.get('cores')} cores, {m.get('date')}: seconds per window for Whisper's encoder, a "
         "greedy decode, and one cross-attention alignment, by batch size. Encoding and decoding "
         "each window once is what any run that hears the whole episode pays; the last column is "
         "the times real time that alone allows (audio seconds over encode + decode seconds).", "",
         "| batch | encode (s) | greedy decode (s) | align (s) | ×RT of encode + decode alone |",
         "|---|---|---|---|---|"]
    for r in rows:
        floor = r["encode_s_per_window"] + r["decode_s_per_window"]
        L.append(f"| {r['batch']} | {r['encode_s_per_window']:.3f} | {r['decode_s_per_window']:.3f} | "
                 f"{r['align_s_per_window']:.3f} | {w / floor:.1f}× |")
    return L


if __name__ == "__main__":
    sys.exit(main())
