"""The catalogue report of a batch: ``catalogue.csv`` (every flag of every episode, most certain
first) and ``catalogue.html`` (one row per episode).  Rendering is pure; ``write`` does the I/O."""
from __future__ import annotations

import csv
import html
import io
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

CSV_COLUMNS = ["start", "end", "kind", "category", "published", "heard", "confidence", "context",
               "suggestion"]  # formats.CSV_COLUMNS: the per-episode CSV's, read back as written


@dataclass(frozen=True)
class Row:
    """One episode as the report shows it; ``status`` is done, failed or pending (not run yet:
    the batch was interrupted)."""

    id: str
    status: str
    exit_code: int | None = None
    message: str = ""
    duration: float | None = None
    words: int | None = None
    timed: int | None = None
    flags: tuple[tuple[str, int], ...] = ()  # (kind, count)
    review: str | None = None  # the review page, relative to OUTDIR
    csv: str | None = None  # the mismatch CSV, relative to OUTDIR


def _conf(row: list[str]) -> float:
    try:
        return float(row[CSV_COLUMNS.index("confidence")])
    except (ValueError, IndexError):
        return -1.0


def _start(row: list[str]) -> float:
    try:
        return float(row[0])
    except (ValueError, IndexError):
        return -1.0


def merge_flags(per_episode: list[tuple[str, str]]) -> str:
    """``[(episode id, its CSV text)]`` -> the catalogue CSV: an ``episode`` column, then the
    per-episode columns; most certain first, ties in catalogue order then by time."""
    rows: list[tuple[int, list[str]]] = []
    for order, (ident, text) in enumerate(per_episode):
        reader = csv.reader(io.StringIO(text))
        head = next(reader, None)
        if head is None:
            continue
        for r in reader:
            if r:
                rows.append((order, [ident, *r]))
    rows.sort(key=lambda x: (-_conf(x[1][1:]), x[0], _start(x[1][1:])))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["episode", *CSV_COLUMNS])
    for _, r in rows:
        w.writerow(r)
    return buf.getvalue()


def _clock(t: float | None) -> str:
    if t is None:
        return ""
    m, s = divmod(int(round(t)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}
tr.failed td{background:#fff0f0}tr.pending td{color:#888}code{font-size:12px}"""


def render_html(rows: list[Row], unpaired: list[str], title: str = "podalign catalogue") -> str:
    e = html.escape
    done = sum(r.status == "done" for r in rows)
    failed = sum(r.status == "failed" for r in rows)
    pending = len(rows) - done - failed
    hours = sum(r.duration or 0 for r in rows if r.status == "done") / 3600
    nflags = sum(n for r in rows for _, n in r.flags)
    L = ["<!doctype html>", '<html><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
         f"<style>{CSS}</style></head><body>", f"<h1>{e(title)}</h1>",
         f"<p>{len(rows)} episodes: {done} done ({hours:.2f} h of audio), {failed} failed"
         f"{f', {pending} not run yet' if pending else ''}; {nflags} flags to check "
         '(all of them, most certain first: <a href="catalogue.csv">catalogue.csv</a>).</p>']
    if unpaired:
        L.append(f"<p>Not paired (no file of the same name on the other side): "
                 f"{', '.join('<code>' + e(u) + '</code>' for u in unpaired)}</p>")
    L.append("<table><tr><th>episode</th><th>status</th><th>duration</th><th>words timed</th>"
             "<th>flags</th><th>review</th></tr>")
    for r in rows:
        if r.status == "failed":
            status = f"failed (exit {r.exit_code}): {e(r.message)}"
        else:
            status = e(r.status)
        words = f"{r.timed} / {r.words}" if r.words is not None else ""
        flags = ", ".join(f"{n} {e(k)}" for k, n in r.flags) if r.status == "done" else ""
        if r.status == "done" and not r.flags:
            flags = "none"
        links = []
        if r.review:
            links.append(f'<a href="{quote(r.review)}">review page</a>')
        if r.csv:
            links.append(f'<a href="{quote(r.csv)}">flags (CSV)</a>')
        L.append(f'<tr class="{e(r.status)}"><td>{e(r.id)}</td><td>{status}</td>'
                 f'<td class="n">{_clock(r.duration)}</td><td class="n">{words}</td>'
                 f"<td>{flags}</td><td>{' · '.join(links)}</td></tr>")
    L.append("</table></body></html>")
    return "\n".join(L) + "\n"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
