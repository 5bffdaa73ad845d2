"""The review page: one self-contained HTML file to check an alignment by ear.

An ``<audio controls>`` player (relative ``src``), the transcript with every timed word clickable
(seeks the audio), flagged mismatches highlighted in the text and listed in a panel with a
"play" button (about 2 s before to 2 s after, then pause), unspoken text greyed, and the active
subtitle shown under the player.

Subtitles: browsers refuse ``<track src>`` from ``file://`` pages, so the cues travel inside the
page twice: a ``<track>`` whose ``src`` is a ``data:`` URL of the VTT, and a JSON copy from which
the script builds a ``TextTrack`` (``audio.addTextTrack`` + ``VTTCue``) and drives the caption box.

Decisions: each flag offers "keep published", "use heard" (or the known spelling) and "edit";
any word can be edited (double-click, or ``e``).  The spans and texts each choice makes come from
``decisions.flag_choices`` and travel in the page's JSON, so the page, ``podalign apply`` and
``align --decisions`` agree.  Decisions live in ``localStorage`` under the transcript's and the
audio's sha256, and export with no server as the corrected transcript (UTF-8, the original's
layout and line endings) and as DECISIONS.json.

The page is built from package files a front-end person can open and lint: ``page.html`` (the
template, ``{{name}}`` holes), ``review.js`` and ``review.css``, inlined at write time so that
the written page stays one file that works from ``file://``.

Testing hooks: ``window.podalign`` (``seekTo``, ``playFlag``, ``playRange``, ``cuesLoaded``,
``trackCues``, ``currentCueText``, ``errors``); opened with ``?selftest=1`` the page checks itself
and writes the results as JSON into ``<pre id="selftest">``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import lru_cache
from html import escape
from importlib import resources

from .. import decisions as dec_mod
from ..formats import spoken_words
from ..types import Alignment, Mismatch, TimedWord

PAD = 2.0  # seconds of context played before and after a flag


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def _clock(t: float | None, ms: bool = False) -> str:
    if t is None:
        return "—"
    t = max(0.0, float(t))
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    out = f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
    if ms:
        out += f".{int(round((t - int(t)) * 1000)) % 1000:03d}"
    return out


def _script_json(obj) -> str:
    """JSON safe inside <script>: no "</script>", no "<!--"."""
    s = json.dumps(obj, ensure_ascii=False)
    return s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _flag_label(m: Mismatch) -> tuple[str, str]:
    pub = m.transcript_text.strip() or "(nothing)"
    heard = m.heard_text.strip() or "(nothing)"
    return pub, heard


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _transcript_html(al: Alignment) -> tuple[str, int]:
    """The transcript as paragraphs of word spans; returns (html, number of timed word spans)."""
    tr = al.transcript
    by_token: dict[int, TimedWord] = {w.token.index: w for w in al.words}
    unspoken = list(al.unspoken or [])
    # mismatches per token, insertion markers before a token (by time)
    flags_of: dict[int, list[int]] = {}
    first_token_of: dict[int, int] = {}
    insert_before: dict[int, list[int]] = {}
    trailing_inserts: list[int] = []
    spoken = _spoken(al)
    start_of = {w.token.char_start: w.token.index for w in al.words}
    for k, m in enumerate(al.mismatches):
        if m.char_start is not None and m.char_end is not None and m.kind != "insertion":
            for tok in tr.tokens:
                if _overlaps(tok.char_start, tok.char_end, m.char_start, m.char_end):
                    flags_of.setdefault(tok.index, []).append(k)
                    first_token_of.setdefault(k, tok.index)
        else:  # where "use heard" puts it: before the next published word (decisions.py)
            p, trailing = dec_mod.insertion_point(m.start, spoken, len(tr.text))
            if trailing or p not in start_of:
                trailing_inserts.append(k)
            else:
                insert_before.setdefault(start_of[p], []).append(k)

    def ins_marker(k: int) -> str:
        m = al.mismatches[k]
        return (f'<span class="ins flag k-{_e(m.kind)}" id="flag-{k}" data-flag="{k}" '
                f'title="heard, not published: {_e(m.heard_text)}">+{_e(m.heard_text.strip() or "…")}</span> ')

    tokens_by_line: dict[int, list] = {}
    for tok in tr.tokens:
        tokens_by_line.setdefault(tok.line, []).append(tok)

    paras: list[str] = []
    n_timed = 0
    prev_speaker: object = object()
    for line in tr.lines:
        toks = sorted(tokens_by_line.get(line.index, []), key=lambda t: t.char_start)
        all_unspoken = bool(toks) and all(
            (by_token.get(t.index) is not None and by_token[t.index].reason == "unspoken")
            or any(a <= t.char_start and t.char_end <= b for a, b in unspoken) for t in toks)
        if not toks and any(a <= line.char_start and line.char_end <= b for a, b in unspoken):
            all_unspoken = True
        cls = ["para"]
        if line.label:
            cls.append("turn")
        if line.speaker is not None and line.speaker != prev_speaker and not line.label:
            cls.append("turn")
        if all_unspoken:
            cls.append("unspoken")
        prev_speaker = line.speaker
        out = [f'<p class="{" ".join(cls)}"' + (f' data-speaker="{_e(line.speaker)}"' if line.speaker else "") + ">"]
        pos = line.char_start
        label = line.label
        for tok in toks:
            if label and label[0] >= pos and label[1] <= tok.char_start:
                out.append(_e(tr.shown(pos, label[0])))
                out.append(f'<span class="spk">{_e(tr.shown(label[0], label[1]))}</span>')
                pos = label[1]
                label = None
            out.append(_e(tr.shown(pos, tok.char_start)))
            for k in insert_before.get(tok.index, []):
                out.append(ins_marker(k))
            w = by_token.get(tok.index)
            classes = ["w"]
            attrs = []
            fl = flags_of.get(tok.index, [])
            is_unspoken = (w is not None and w.reason == "unspoken") or any(
                a <= tok.char_start and tok.char_end <= b for a, b in unspoken)
            if is_unspoken:
                classes.append("unspoken")
            attrs.append(f'data-cs="{tok.char_start}" data-ce="{tok.char_end}"')
            if w is not None and w.timed and not is_unspoken:
                attrs.append(f'data-i="{n_timed}" data-start="{w.start:.3f}" data-end="{(w.end if w.end is not None else w.start):.3f}"')
                n_timed += 1
            elif not is_unspoken:
                classes.append("untimed")
                reason = (w.reason if w is not None else None) or "unaligned"
                attrs.append(f'title="not placed on the audio: {_e(reason)}"')
            if fl:
                classes.append("flag")
                classes.extend(f"k-{_e(al.mismatches[k].kind)}" for k in fl[:1])
                attrs.append(f'data-flag="{fl[0]}"')
                firsts = [k for k in fl if first_token_of.get(k) == tok.index]
                if firsts:
                    attrs.append(f'id="flag-{firsts[0]}"')
                m = al.mismatches[fl[0]]
                if not any(a.startswith("title=") for a in attrs):
                    pub, heard = _flag_label(m)
                    attrs.append(f'title="{_e(m.kind)} ({_e(m.category)}): heard {_e(heard)}"')
            out.append(f'<span class="{" ".join(classes)}" {" ".join(attrs)}>'.replace(" >", ">")
                       + _e(tr.shown(tok.char_start, tok.char_end)) + "</span>")
            pos = tok.char_end
        if label and label[0] >= pos:
            out.append(_e(tr.shown(pos, label[0])))
            out.append(f'<span class="spk">{_e(tr.shown(label[0], label[1]))}</span>')
            pos = label[1]
        out.append(_e(tr.shown(pos, line.char_end)))
        out.append("</p>")
        paras.append("".join(out))
    if trailing_inserts:
        paras.append('<p class="para">' + "".join(ins_marker(k) for k in trailing_inserts) + "</p>")
    return "\n".join(paras), n_timed


def _spoken(al: Alignment) -> list[tuple[int, int, float | None]]:
    return [(w.token.char_start, w.token.char_end, w.start) for w in spoken_words(al)]


def _choices(al: Alignment) -> list[dec_mod.FlagChoices]:
    spoken = _spoken(al)
    text = al.transcript.text
    return [dec_mod.flag_choices(m.kind, m.char_start, m.char_end, m.start, m.transcript_text,
                                 m.heard_text, m.suggestion, text, spoken) for m in al.mismatches]


def _short(s: str, n: int = 40) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 1] + "…"


def _decide_html(k: int, m: Mismatch, ch: dec_mod.FlagChoices) -> str:
    """The three answers of one flag (the script records them; see decisions.py)."""
    if ch.suggestion is not None:
        accept = f'use “{_e(_short(ch.suggestion.text))}”'
    elif m.kind == "omission" or not ch.heard.text.strip():
        accept = "delete it" if m.kind != "insertion" else "use heard"
    else:
        accept = f'use heard “{_e(_short(ch.heard.text))}”'
    return (f'<div class="decide" data-flag="{k}">'
            f'<button type="button" class="act" data-act="keep" data-flag="{k}">keep published</button> '
            f'<button type="button" class="act" data-act="accept" data-flag="{k}">{accept}</button> '
            f'<button type="button" class="act" data-act="edit" data-flag="{k}">edit</button>'
            f'<span class="verdict" data-flag="{k}"></span></div>')


def _flags_html(al: Alignment) -> str:
    items = []
    choices = _choices(al)
    order = sorted(range(len(al.mismatches)),
                   key=lambda k: (al.mismatches[k].start is None, al.mismatches[k].start or 0.0, k))
    for k in order:
        m = al.mismatches[k]
        pub, heard = _flag_label(m)
        if m.start is not None:
            start = float(m.start)
            end = float(m.end) if m.end is not None else start
            frm = max(0.0, start - PAD)
            to = end + PAD
            if al.duration:
                to = min(to, float(al.duration))
            btn = (f'<button type="button" class="play" data-flag="{k}" data-from="{frm:.3f}" '
                   f'data-to="{to:.3f}" title="play {_clock(frm)}–{_clock(to)}">▶ play this</button>')
        else:
            btn = '<button type="button" class="play" disabled title="no time for this flag">▶ play this</button>'
        conf = f"{m.confidence * 100:.0f}%" if m.confidence is not None else "?"
        items.append(
            f'<li class="flag-item k-{_e(m.kind)}" data-flag="{k}">'
            f'<div class="row"><a class="time" href="#flag-{k}">{_e(_clock(m.start, ms=True))}</a> '
            f'<span class="kind">{_e(m.kind)}</span> <span class="cat">{_e(m.category)}</span> '
            f'<span class="conf" title="confidence">{_e(conf)}</span></div>'
            f'<div class="pvh"><span class="lbl">published</span> <q class="pub">{_e(pub)}</q> '
            f'<span class="lbl">heard</span> <q class="heard">{_e(heard)}</q></div>'
            + (f'<div class="sugg"><span class="lbl">known spelling</span> '
               f'<q class="suggestion">{_e(m.suggestion)}</q></div>' if m.suggestion else "")
            + (f'<div class="ctx">{_e(m.context)}</div>' if m.context else "")
            + f"{btn}{_decide_html(k, m, choices[k])}</li>"
        )
    if not items:
        return '<p class="none">No mismatches flagged.</p>'
    return '<ol class="flags">' + "\n".join(items) + "</ol>"






_HOLE = re.compile(r"\{\{([a-z_0-9]+)\}\}")


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """A file of the page (``page.html``, ``review.js``, ``review.css``) from the package."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def fill(template: str, values: dict[str, str]) -> str:
    """Put each ``{{name}}`` hole's value in, in one pass (a value is never read as a hole);
    a hole without a value is a bug, not a blank on the page."""
    def one(m: re.Match) -> str:
        return values[m.group(1)]

    return _HOLE.sub(one, template)


def _inline(kind: str, text: str) -> str:
    """A script or style to put inside its element: nothing in it may close the element."""
    if re.search(rf"</{kind}", text, re.I):
        raise ValueError(f"review.{'js' if kind == 'script' else 'css'} holds '</{kind}'")
    return text


def _sha_or(text_sha: str, fallback: str) -> str:
    return text_sha or hashlib.sha256(fallback.encode("utf-8")).hexdigest()


def page_data(al: Alignment) -> dict:
    """What the script needs: cues, and what the decisions are made of."""
    tr = al.transcript
    text = tr.text if tr else ""
    cues = [{"start": round(c.start, 3), "end": round(c.end, 3), "speaker": c.speaker, "text": c.text}
            for c in al.cues]
    # Without the file's hash (pages rendered from memory), a UTF-8 file's hash is its text's.
    t_sha = _sha_or(al.transcript_sha256, text)
    a_sha = _sha_or(al.audio_sha256, str(al.audio_path))
    flags = []
    for k, (m, ch) in enumerate(zip(al.mismatches, _choices(al) if tr else [])):
        r = ch.ref
        flags.append({
            "k": k, "kind": m.kind, "confidence": m.confidence,
            "ref": {"kind": r.kind, "char_start": r.char_start, "char_end": r.char_end,
                    "published": r.published, "heard": r.heard},
            "keep": [ch.keep.char_start, ch.keep.char_end, ch.keep.text],
            "heard": [ch.heard.char_start, ch.heard.char_end, ch.heard.text],
            "suggestion": ([ch.suggestion.char_start, ch.suggestion.char_end, ch.suggestion.text]
                           if ch.suggestion else None),
            "insertion": r.char_start == r.char_end, "trailing": ch.insertion_trailing,
        })
    name = str(al.transcript_path).replace("\\", "/").rsplit("/", 1)[-1] or "transcript.txt"
    return {"lang": al.language or "", "cues": cues, "text": text, "flags": flags,
            "transcript": name, "transcriptSha256": t_sha, "audioSha256": a_sha,
            "bom": (tr.encoding if tr else "") in ("utf-8-sig", "utf-16", "utf-32"),
            "storageKey": f"podalign:decisions:{t_sha}:{a_sha}",
            "format": dec_mod.FORMAT, "version": dec_mod.VERSION}


def _warnings_html(al: Alignment) -> str:
    """What the run could only do in part (damaged or missing audio), above everything else:
    the words and flags below are partial there."""
    if not al.warnings:
        return ""
    items = "".join(f'<li data-kind="{_e(w.kind)}">{_e(w.message)}</li>' for w in al.warnings)
    return f'<ul id="warnings" role="alert">{items}</ul>'


def render_review_html(alignment: Alignment, audio_href: str, vtt_text: str) -> str:
    """The review page as one self-contained HTML string (no external resources)."""
    al = alignment
    transcript_html, n_timed = _transcript_html(al)
    vtt_b64 = base64.b64encode(vtt_text.encode("utf-8")).decode("ascii")
    spoken = [w for w in al.words if w.reason != "unspoken"]
    timed = sum(1 for w in spoken if w.timed)
    try:
        from ..cues import cue_stats

        st = cue_stats(al.cues)
        cue_note = f"{len(al.cues)} subtitles, {st['share_within_max_cps'] * 100:.0f}% within 17 characters/s"
    except Exception:  # the page must render even if the stats cannot
        cue_note = f"{len(al.cues)} subtitles"
    audio_name = str(al.audio_path).replace("\\", "/").rsplit("/", 1)[-1]
    meta = (f"{timed}/{len(spoken)} words placed · {len(al.mismatches)} flags · {cue_note} · "
            f"duration {_clock(al.duration)} · model {al.model or '?'} on {al.device or '?'}")
    lang = al.language or ""
    return fill(asset("page.html"), {
        "lang": _e(lang), "srclang": _e(lang or "und"), "audio_name": _e(audio_name),
        "meta": _e(meta), "warnings_html": _warnings_html(al),
        "audio_href": _e(audio_href), "vtt_b64": vtt_b64,
        "n_flags": str(len(al.mismatches)), "flags_html": _flags_html(al),
        "n_timed": str(n_timed), "transcript_html": transcript_html,
        "data_json": _script_json(page_data(al)),
        "style": _inline("style", asset("review.css")), "script": _inline("script", asset("review.js")),
    })
