"""bench/verdict_checks.py: the measures its held-out comparisons rest on."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.verdict_checks import TEXT_FEATURES, auc  # noqa: E402


def test_auc_is_the_share_of_real_and_false_pairs_ranked_right():
    y = np.array([0, 0, 1, 1], float)
    assert auc(np.array([0.1, 0.2, 0.8, 0.9]), y) == 1.0
    assert auc(np.array([0.9, 0.8, 0.2, 0.1]), y) == 0.0
    assert auc(np.array([0.1, 0.8, 0.2, 0.9]), y) == 0.75  # one false pair of four


def test_text_features_read_the_form_the_heard_reading_adds():
    f = TEXT_FEATURES
    assert f["heard_marks_only"]("grondements", "bons demandes.") == 1.0
    assert f["heard_marks_only"]("grondements.", "bons demandes") == 0.0
    assert f["marks_differ"]("grondements.", "bons demandes") == 1.0
    assert f["marks_differ"]("servis.", "servi.") == 0.0
    assert f["case_differs"]("le rugissement", "Votre jugement") == 1.0
    assert f["case_differs"]("Huang", "Wang") == 0.0
    assert f["length_ratio"]("resident", "resonant") == 0.0
    assert abs(f["length_ratio"]("sud", "1, on se voit") - np.log(10 / 4)) < 1e-9  # letters + 1
