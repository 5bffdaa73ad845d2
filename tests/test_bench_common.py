"""bench/common.py: run.py and scale.py share it and never import each other; medians of runs."""
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import median_of, turns_text  # noqa: E402


def _bench_imports(name: str) -> set[str]:
    tree = ast.parse((REPO / "bench" / f"{name}.py").read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "bench":
                out |= {f"bench.{a.name}" for a in node.names}
            elif node.module.startswith("bench."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("bench.")}
    return out


def test_run_and_scale_do_not_import_each_other():
    assert "bench.run" not in _bench_imports("scale")
    assert "bench.common" in _bench_imports("scale") and "bench.common" in _bench_imports("run")


def test_median_of_runs():
    runs = [{"rc": 0, "wall_s": 10.0, "rss_mb": 400.0, "timings": {"t": 1}},
            {"rc": 0, "wall_s": 8.0, "rss_mb": 420.0, "timings": {"t": 2}},
            {"rc": 0, "wall_s": 12.0, "rss_mb": 410.0, "timings": {"t": 3}},
            {"rc": 1, "wall_s": 1.0, "error": "boom"}]
    m = median_of(runs)
    assert m["wall_s"] == 10.0 and m["rss_mb"] == 410.0 and m["n"] == 3
    assert m["timings"] == {"t": 1}  # the median run's own figures
    assert m["walls"] == [10.0, 8.0, 12.0, 1.0] and m["failed_runs"] == ["boom"]
    assert median_of([{"error": "skipped"}]) == {"error": "skipped"}


def test_turns_text_drops_header_and_labels(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("Un titre jamais dit\n\nAnne : Bonjour à tous.\nBruno : Merci Anne.\nAnne : Au revoir.\n",
                 encoding="utf-8")
    assert turns_text(p) == "Bonjour à tous.\nMerci Anne.\nAu revoir.\n"


def test_the_floor_table_gives_the_times_real_time_of_encoding_and_decoding_alone():
    from bench.batching import render

    data = {"windows": 4, "window_s": 25.5, "audio": "episode.mp3", "compute_type": "int8",
            "device": "cpu", "machine": {"cores": 2, "date": "2026-12-06"},
            "rows": [{"batch": 1, "encode_s_per_window": 1.5, "decode_s_per_window": 1.0,
                      "align_s_per_window": 0.4}]}
    lines = render(data)
    assert lines[-1] == "| 1 | 1.500 | 1.000 | 0.400 | 10.2× |"  # 25.5 s / 2.5 s
