"""The flag decision: a logistic regression over the evidence of each candidate, fitted on data.

The evidence (``flags.features``) is measured for every place where the published and heard
words differ; this module turns it into a probability that the difference is real.  The
coefficients are *data*, not code: ``data/verdict.json``, written by ``bench/fit_verdict.py``
from the real-speech corpus in ``bench/corpus/`` (every recording held out in turn to validate,
then fitted on all of them).  The probability is the flag's ``confidence``; ``--min-confidence``
hides flags below it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Verdict:
    """``p = sigmoid(intercept + sum(coef * (x - mean) / scale))`` over ``names``."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    meta: dict | None = field(default=None, compare=False)

    def logit(self, features: dict[str, float]) -> float:
        z = self.intercept
        for n, m, s, c in zip(self.names, self.mean, self.scale, self.coef):
            z += c * (float(features.get(n, 0.0)) - m) / s
        return z

    def probability(self, features: dict[str, float]) -> float:
        z = max(-30.0, min(30.0, self.logit(features)))
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict:
        return {"names": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept, "meta": self.meta or {}}

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        n = len(d["names"])
        if not (len(d["mean"]) == len(d["scale"]) == len(d["coef"]) == n):
            raise ValueError("verdict file: names, mean, scale and coef differ in length")
        return cls(tuple(d["names"]), tuple(map(float, d["mean"])),
                   tuple(float(s) or 1.0 for s in d["scale"]), tuple(map(float, d["coef"])),
                   float(d["intercept"]), d.get("meta"))


MODELS = ("substitution", "structural")  # words heard otherwise; text unsaid or speech untext-ed


@lru_cache(maxsize=None)
def _shipped() -> dict:
    text = resources.files("aligner").joinpath("data", "verdict.json").read_text(encoding="utf-8")
    return json.loads(text)


def default_min_confidence() -> float:
    """The default ``--min-confidence``, chosen with the coefficients by ``bench/fit_verdict.py``
    on the held-out scores (its ``thresholds``: the lowest bar at which untouched transcripts
    get at most one wrong flag per 10 minutes while nine in ten written-in errors are still
    found), 0.5 for a file without one."""
    return float(_shipped().get("min_confidence", {}).get("value", 0.5))


@lru_cache(maxsize=None)
def default(model: str = "substitution") -> Verdict:
    """A model of the verdict shipped with the package (fitted on the whole corpus):
    ``substitution`` judges published words heard otherwise, ``structural`` judges omissions
    and insertions."""
    return Verdict.from_dict(_shipped()[model])
