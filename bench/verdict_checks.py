"""Checks of what else could move the verdict, on the candidates ``fit_verdict.py collect`` kept,
held out exactly as the fit is (leave-one-recording-out, a recording and its voiced copy together).
Nothing here is shipped: it says whether a richer model or more evidence read from the texts
would separate real differences from recognition's slips better than the shipped one.

    python bench/verdict_checks.py features   # text-form features added to the fit, one at a time
    python bench/verdict_checks.py nonlinear  # gradient-boosted trees on the same evidence
                                              # (needs scikit-learn: pip install scikit-learn)
    python bench/verdict_checks.py shipped    # the shipped verdict on runs of this machine

Writes nothing; prints one line per trial.  Figures of its last run are in README.md ("More
fitting does not get past these").
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aligner.plan import _ends_sentence  # noqa: E402  (the plan's reading of a sentence end)
from bench import fit_verdict as fv  # noqa: E402


def _first_letter(s: str) -> str:
    return next((ch for ch in (s or "") if ch.isalpha()), "")


def _letters(s: str) -> int:
    return len(re.sub(r"\W", "", s or ""))


# What the published and heard texts say of a candidate's *form*, beyond what the fit weighs:
# Whisper's probabilities weigh punctuation and case too, so a heard reading that closes a
# sentence the transcript left open, or starts with a capital, may be credited for that alone.
TEXT_FEATURES = {
    "marks_differ": lambda pub, heard: float(_ends_sentence(heard) != _ends_sentence(pub)),
    "heard_marks_only": lambda pub, heard: float(_ends_sentence(heard) and not _ends_sentence(pub)),
    "case_differs": lambda pub, heard: float(
        bool(_first_letter(pub)) and bool(_first_letter(heard))
        and _first_letter(pub).isupper() != _first_letter(heard).isupper()),
    "length_ratio": lambda pub, heard: abs(math.log((_letters(heard) + 1) / (_letters(pub) + 1))),
}


def auc(p: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(p, kind="stable")
    rank = np.empty(len(p))
    rank[order] = np.arange(1, len(p) + 1)
    n1 = y.sum()
    return float((rank[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(y) - n1)))


def features_trial(all_runs: list[dict], names: list[str], structural: dict) -> str:
    """The substitution model refit with ``names`` added, the structural one as shipped: held-out
    AUC and log loss, and the bar the fit's rule would pick with what it finds there."""
    X, y, groups, where = fv.dataset(all_runs, "substitution", {n: TEXT_FEATURES[n] for n in names})
    p = fv.held_out(X, y, groups, fv.choose_l2(X, y, groups))
    p_of = dict(structural) | {(id(all_runs[k]), j): p[i] for i, (k, j) in enumerate(where)}
    real = [r for r in all_runs if fv.kind_of_recording(r["recording"]) == "real"]
    bar, _ = fv.thresholds(real, p_of)
    ev = fv.evaluate(real, p_of, bar)
    episodes = {k: v["recall"] for k, v in fv.episode_scores(all_runs, p_of, bar).items()}
    return (f"{names or 'shipped'}: AUC {auc(p, y):.4f}, log loss {fv.log_loss(p, y):.4f}; bar {bar}: "
            f"recall {ev['recall_except_alike_names']}, precision {ev['precision']}, clean wrong "
            f"per 10 min {ev['clean_wrong_per_10_min']}, sound-alike names with --names "
            f"{ev['alike_names_with_names']}; episodes' recall {episodes}")


def features(all_runs: list[dict]) -> None:
    X, y, groups, where = fv.dataset(all_runs, "structural")
    p = fv.held_out(X, y, groups, fv.choose_l2(X, y, groups))
    structural = {(id(all_runs[k]), j): p[i] for i, (k, j) in enumerate(where)}
    for names in [[]] + [[n] for n in TEXT_FEATURES] + [list(TEXT_FEATURES)]:
        print(features_trial(all_runs, names, structural), flush=True)


def nonlinear(all_runs: list[dict]) -> None:
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        raise SystemExit("verdict_checks.py nonlinear needs scikit-learn: pip install scikit-learn")
    X, y, groups, _ = fv.dataset(all_runs, "substitution")
    p = fv.held_out(X, y, groups, fv.choose_l2(X, y, groups))
    print(f"logistic regression (shipped): AUC {auc(p, y):.4f}, log loss {fv.log_loss(p, y):.4f}")
    for depth, rounds in ((2, 200), (3, 300)):
        p = np.zeros(len(y))
        for g in sorted(set(groups)):
            test = groups == g
            m = HistGradientBoostingClassifier(max_depth=depth, learning_rate=0.05, max_iter=rounds,
                                               l2_regularization=1.0, min_samples_leaf=20,
                                               random_state=0)
            m.fit(X[~test], y[~test])
            p[test] = m.predict_proba(X[test])[:, 1]
        print(f"gradient-boosted trees, depth {depth}: AUC {auc(p, y):.4f}, "
              f"log loss {fv.log_loss(p, y):.4f}", flush=True)


def shipped(all_runs: list[dict]) -> None:
    """The shipped verdict as it is (each candidate's confidence as its run wrote it, at the
    shipped default bar) on these runs: collected on another machine than the fit's, whether
    its figures carry over to that machine's recognition, which differs in small ways (CPU
    kernels: another hearing of the same window now and then).  In sample for the
    recordings, out of sample for the machine."""
    from aligner.verdict import default_min_confidence

    bar = default_min_confidence()
    p_of = {(id(r), j): float(m["confidence"]) for r in all_runs
            for j, m in enumerate(r["out"].get("mismatches", [])) if fv.is_candidate(m)}
    for kind in ("real", "voiced", "episode"):
        ev = fv.evaluate([r for r in all_runs if fv.kind_of_recording(r["recording"]) == kind],
                         p_of, bar)
        print(f"{kind} at {bar}: " + ", ".join(f"{k} {ev.get(k)}" for k in (
            "recall_except_alike_names", "precision", "flags", "clean_wrong_per_10_min",
            "alike_names_with_names", "header_reported_mean")), flush=True)
    for name, sc in fv.episode_scores(all_runs, p_of, bar).items():
        print(f"  {name}: {sc}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("check", choices=["features", "nonlinear", "shipped"])
    a = ap.parse_args(argv)
    all_runs = fv.runs()
    if not all_runs:
        raise SystemExit("no collected runs: python bench/fit_verdict.py collect first")
    {"features": features, "nonlinear": nonlinear, "shipped": shipped}[a.check](all_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
