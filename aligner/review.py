"""The review page: one self-contained HTML file to check an alignment by ear.

An ``<audio controls>`` player (relative ``src``), the transcript with every timed word clickable
(seeks the audio), flagged mismatches highlighted in the text and listed in a panel with a
"play" button (about 2 s before to 2 s after, then pause), unspoken text greyed, and the active
subtitle shown under the player.

Subtitles: browsers refuse ``<track src>`` from ``file://`` pages, so the cues travel inside the
page twice: a ``<track>`` whose ``src`` is a ``data:`` URL of the VTT, and a JSON copy from which
the script builds a ``TextTrack`` (``audio.addTextTrack`` + ``VTTCue``) and drives the caption box.

Testing hooks: ``window.podalign`` (``seekTo``, ``playFlag``, ``playRange``, ``cuesLoaded``,
``trackCues``, ``currentCueText``, ``errors``); opened with ``?selftest=1`` the page checks itself
and writes the results as JSON into ``<pre id="selftest">``.
"""
from __future__ import annotations

import base64
import json
from html import escape

from .types import Alignment, Mismatch, TimedWord

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
    timed_tokens = sorted((w for w in al.words if w.timed and w.reason != "unspoken"), key=lambda w: w.token.index)
    for k, m in enumerate(al.mismatches):
        if m.char_start is not None and m.char_end is not None:
            for tok in tr.tokens:
                if _overlaps(tok.char_start, tok.char_end, m.char_start, m.char_end):
                    flags_of.setdefault(tok.index, []).append(k)
                    first_token_of.setdefault(k, tok.index)
        elif m.start is not None:
            nxt = next((w for w in timed_tokens if w.start >= m.start - 0.01), None)
            if nxt is None:
                trailing_inserts.append(k)
            else:
                insert_before.setdefault(nxt.token.index, []).append(k)
        else:
            trailing_inserts.append(k)

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


def _flags_html(al: Alignment) -> str:
    items = []
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
            + f"{btn}</li>"
        )
    if not items:
        return '<p class="none">No mismatches flagged.</p>'
    return '<ol class="flags">' + "\n".join(items) + "</ol>"


CSS = """
:root { --bg:#fff; --fg:#1d1d1f; --muted:#8a8a8e; --line:#e3e3e8; --sub:#ffe3b3; --om:#ffc9c9;
  --ins:#cfe3ff; --now:#d7f0d2; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color:var(--fg); background:var(--bg); }
header { position:sticky; top:0; z-index:2; background:#f7f7f9; border-bottom:1px solid var(--line);
  padding:.6rem 1rem; }
h1 { font-size:1.1rem; margin:0 0 .3rem; }
h2 { font-size:1rem; margin:.2rem 0 .5rem; }
.meta { color:var(--muted); font-size:.85rem; margin:0 0 .4rem; }
#player { display:flex; flex-wrap:wrap; gap:.6rem; align-items:center; }
audio { width:min(720px, 100%); }
#cue { min-height:3.2em; white-space:pre-line; font-size:1.05rem; background:#222; color:#fff;
  padding:.35rem .7rem; border-radius:6px; width:min(720px, 100%); text-align:center; }
#cue:empty::before { content:"\\00a0"; }
main { display:grid; grid-template-columns: 340px 1fr; gap:1.2rem; padding:1rem; }
@media (max-width: 860px) { main { grid-template-columns: 1fr; } }
aside { border-right:1px solid var(--line); padding-right:1rem; max-height:calc(100vh - 12rem);
  overflow:auto; position:sticky; top:11rem; }
ol.flags { list-style:none; padding:0; margin:0; }
.flag-item { border:1px solid var(--line); border-left:5px solid #f0a030; border-radius:6px;
  padding:.4rem .55rem; margin:0 0 .5rem; font-size:.9rem; }
.flag-item.k-omission { border-left-color:#e05050; }
.flag-item.k-insertion { border-left-color:#4a8ae0; }
.flag-item.active { background:#fffbe8; }
.flag-item .kind { font-weight:600; }
.flag-item .cat, .flag-item .conf, .lbl { color:var(--muted); }
.ctx { color:var(--muted); font-style:italic; font-size:.85rem; }
button.play { margin-top:.3rem; cursor:pointer; }
#transcript { max-width:52rem; }
.para { margin:0 0 .9rem; }
.spk { font-weight:700; margin-right:.2rem; }
.w[data-start] { cursor:pointer; border-radius:3px; }
.w[data-start]:hover { background:#eef; }
.w.untimed { text-decoration: underline dotted var(--muted); }
.w.now { background:var(--now); }
.flag.k-substitution { background:var(--sub); }
.flag.k-omission { background:var(--om); text-decoration: line-through; }
.ins { background:var(--ins); font-size:.85em; padding:0 .2em; border-radius:3px; }
.flag.active { outline:2px solid #d08000; }
.unspoken, .para.unspoken { color:var(--muted); background:#f2f2f4; }
#selftest { white-space:pre-wrap; font-size:.75rem; }
"""

JS = r"""
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) {
    var t = e && e.target;
    if (t && t !== window && t.tagName) { errors.push(t.tagName.toLowerCase() + ' failed to load'); }
    else { errors.push(String((e && e.message) || 'error')); }
  }, true);
  window.addEventListener('unhandledrejection', function (e) {
    errors.push('unhandled rejection: ' + String(e && e.reason));
  });
  var data = JSON.parse(document.getElementById('podalign-data').textContent);
  var audio = document.getElementById('audio');
  var cueBox = document.getElementById('cue');
  var follow = document.getElementById('follow');
  var words = Array.prototype.slice.call(document.querySelectorAll('#transcript .w[data-start]'));
  var starts = words.map(function (w) { return parseFloat(w.getAttribute('data-start')); });
  var cues = data.cues;
  var stopAt = null, stopTimer = null, current = null, lastPlay = null;

  function lastAtOrBefore(arr, t) {  // index of the last value <= t, -1 if none
    var lo = 0, hi = arr.length - 1, ans = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (arr[mid] <= t) { ans = mid; lo = mid + 1; } else { hi = mid - 1; } }
    return ans;
  }
  var cueStarts = cues.map(function (c) { return c.start; });
  function cueAt(t) {
    var i = lastAtOrBefore(cueStarts, t);
    return (i >= 0 && t < cues[i].end) ? cues[i] : null;
  }
  function cueLabel(c) { return c ? (c.speaker ? c.speaker + ': ' : '') + c.text : ''; }

  // a script-built text track (works from file://, where <track src> may be refused)
  var track = null;
  try {
    if (audio.addTextTrack && typeof VTTCue !== 'undefined') {
      track = audio.addTextTrack('subtitles', 'podalign', data.lang || '');
      cues.forEach(function (c) { track.addCue(new VTTCue(c.start, c.end, cueLabel(c))); });
      track.mode = 'hidden';
      track.addEventListener('cuechange', showCue);
    }
  } catch (err) { errors.push('text track: ' + err); track = null; }
  var trackEl = document.getElementById('subtitles');
  if (trackEl && trackEl.track) { trackEl.track.mode = 'hidden'; }

  // a server without HTTP range requests (python -m http.server) makes the audio unseekable:
  // then fetch it whole and play it from a blob: URL, which is seekable
  var seekMode = 'pending';
  function seekableOk() {
    var r = audio.seekable;
    return r && r.length > 0 && r.end(r.length - 1) >= (audio.duration || 0) - 0.5;
  }
  function ensureSeekable() {
    if (seekMode !== 'pending') { return; }
    if (seekableOk()) { seekMode = 'native'; return; }
    if (!/^https?:$/.test(location.protocol) || typeof fetch === 'undefined' || !window.URL || !URL.createObjectURL) {
      seekMode = 'unseekable'; return;
    }
    seekMode = 'fetching';
    fetch(audio.currentSrc || audio.src).then(function (r) {
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      return r.blob();
    }).then(function (b) {
      var t = audio.currentTime;
      audio.addEventListener('loadedmetadata', function once() {
        audio.removeEventListener('loadedmetadata', once);
        if (t) { audio.currentTime = t; }
        seekMode = 'blob';
      });
      audio.src = URL.createObjectURL(b);
    }).catch(function (err) { seekMode = 'unseekable'; errors.push('audio not seekable: ' + err); });
  }
  audio.addEventListener('loadedmetadata', ensureSeekable);
  if (audio.readyState >= 1) { ensureSeekable(); }

  function showCue() {
    var c = cueAt(audio.currentTime);
    var s = cueLabel(c);
    if (cueBox.textContent !== s) { cueBox.textContent = s; }
  }
  function showWord() {
    var i = lastAtOrBefore(starts, audio.currentTime + 0.01);
    var w = i >= 0 ? words[i] : null;
    if (w && audio.currentTime > parseFloat(w.getAttribute('data-end')) + 1.0) { w = null; }
    if (w === current) { return; }
    if (current) { current.classList.remove('now'); }
    current = w;
    if (w) {
      w.classList.add('now');
      if (follow && follow.checked && !audio.paused && w.scrollIntoView) { w.scrollIntoView({block: 'nearest'}); }
    }
  }
  function tick() {
    if (stopAt !== null && audio.currentTime >= stopAt) { audio.pause(); stopAt = null; }
    showCue(); showWord();
  }
  audio.addEventListener('timeupdate', tick);
  audio.addEventListener('seeked', tick);
  // A pause event can arrive late (from a pause() before the range began): it must not cancel
  // the watch of a range still armed, or the range would never stop.
  audio.addEventListener('pause', function () {
    if (stopTimer && stopAt === null) { clearTimeout(stopTimer); stopTimer = null; }
  });

  function play() {
    var p;
    try { p = audio.play(); } catch (err) { lastPlay = 'failed: ' + err; return; }
    lastPlay = 'requested';
    if (p && p.then) {
      p.then(function () { lastPlay = 'playing'; }, function (err) { lastPlay = 'refused: ' + (err && err.name); });
    }
  }
  function seek(t, andPlay) {
    stopAt = null;
    audio.currentTime = Math.max(0, t);
    tick();
    if (andPlay) { play(); }
    return audio.currentTime;
  }
  function playRange(from, to) {
    seek(from, false);
    stopAt = to;
    if (stopTimer) { clearTimeout(stopTimer); }
    stopTimer = setTimeout(function check() {  // timeupdate fires only ~4 times a second
      if (stopAt === null) { return; }
      if (audio.currentTime >= stopAt || audio.ended) { audio.pause(); stopAt = null; }
      else { stopTimer = setTimeout(check, 50); }
    }, 50);
    play();
    return audio.currentTime;
  }
  function markFlag(k) {
    Array.prototype.forEach.call(document.querySelectorAll('.active'), function (el) { el.classList.remove('active'); });
    var item = document.querySelector('.flag-item[data-flag="' + k + '"]');
    if (item) { item.classList.add('active'); }
    Array.prototype.forEach.call(document.querySelectorAll('#transcript [data-flag="' + k + '"]'), function (el) { el.classList.add('active'); });
    var target = document.getElementById('flag-' + k);
    if (target && target.scrollIntoView) { target.scrollIntoView({block: 'center'}); }
  }
  function playFlag(k) {
    var b = document.querySelector('button.play[data-flag="' + k + '"]');
    if (!b) { return null; }
    markFlag(k);
    return playRange(parseFloat(b.getAttribute('data-from')), parseFloat(b.getAttribute('data-to')));
  }

  document.getElementById('transcript').addEventListener('click', function (e) {
    var w = e.target.closest ? e.target.closest('.w[data-start]') : null;
    if (w) { seek(parseFloat(w.getAttribute('data-start')), true); return; }
    var f = e.target.closest ? e.target.closest('[data-flag]') : null;
    if (f) { markFlag(f.getAttribute('data-flag')); }
  });
  var flagsPanel = document.getElementById('flags');
  flagsPanel.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('button.play[data-flag]') : null;
    if (b) { playFlag(b.getAttribute('data-flag')); return; }
    var item = e.target.closest ? e.target.closest('.flag-item') : null;
    if (item) { markFlag(item.getAttribute('data-flag')); }
  });

  function trackCues() {
    var el = trackEl && trackEl.track && trackEl.track.cues ? trackEl.track.cues.length : 0;
    return {element: el, script: track && track.cues ? track.cues.length : 0,
            elementReadyState: trackEl ? trackEl.readyState : -1};
  }
  window.podalign = {
    seekTo: function (i) { var w = words[i]; return w ? seek(parseFloat(w.getAttribute('data-start')), false) : null; },
    playFlag: playFlag,
    playRange: playRange,
    cuesLoaded: function () { var t = trackCues(); return Math.max(t.element, t.script); },
    trackCues: trackCues,
    currentCueText: function () { return cueBox.textContent; },
    errors: errors,
    state: function () { return {time: audio.currentTime, paused: audio.paused, stopAt: stopAt, lastPlay: lastPlay, seekMode: seekMode}; }
  };

  // ------------------------------------------------------------------ selftest (?selftest=1)
  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function waitFor(cond, ms) {
    var t0 = Date.now();
    return new Promise(function (resolve) {
      (function poll() { if (cond() || Date.now() - t0 > ms) { resolve(cond()); } else { setTimeout(poll, 50); } })();
    });
  }
  function near(a, b) { return Math.abs(a - b) < 0.05; }
  function selftest() {
    var res = {errors: errors, words: words.length, flags: document.querySelectorAll('.flag-item').length,
               flaggedSpans: document.querySelectorAll('#transcript .flag').length,
               unspokenSpans: document.querySelectorAll('#transcript .unspoken').length};
    var out = document.getElementById('selftest');
    waitFor(function () { return audio.readyState >= 1 && /native|blob|unseekable/.test(seekMode); }, 6000).then(function () {
      res.readyState = audio.readyState; res.audioDuration = audio.duration; res.seekMode = seekMode;
      return waitFor(function () { return trackCues().element > 0; }, 1500);
    }).then(function () {
      res.textTracks = audio.textTracks.length;
      var tc = trackCues();
      res.trackElementCues = tc.element; res.trackElementReadyState = tc.elementReadyState;
      res.scriptCues = tc.script; res.cuesLoaded = window.podalign.cuesLoaded();
      var w = words[Math.min(3, words.length - 1)];
      if (w) {
        w.click();
        res.wordSeek = {target: parseFloat(w.getAttribute('data-start')), currentTime: audio.currentTime};
        res.wordSeek.ok = near(res.wordSeek.target, res.wordSeek.currentTime);
        audio.pause();
      }
      var b = document.querySelector('#flags button.play:not([disabled])');
      if (b) {
        b.click();
        res.flagSeek = {flag: parseInt(b.getAttribute('data-flag'), 10), target: parseFloat(b.getAttribute('data-from')),
                        to: parseFloat(b.getAttribute('data-to')), currentTime: audio.currentTime, stopAt: stopAt};
        res.flagSeek.ok = near(res.flagSeek.target, res.flagSeek.currentTime) && stopAt === res.flagSeek.to;
        res.flagActive = !!document.querySelector('.flag-item.active') && !!document.querySelector('#transcript .active');
      }
      tick();
      res.cueText = cueBox.textContent;
      res.expectedCueText = cueLabel(cueAt(audio.currentTime));
      audio.pause();
      // a short range: playback stops by itself at the range end (headless playback may not
      // advance, so the clock is moved past the end by hand)
      var from = Math.min(0.2, (audio.duration || 1) / 4);
      playRange(from, from + 0.4);
      res.range = {from: from, to: from + 0.4, startedAt: audio.currentTime, stopAt: stopAt};
      return wait(300).then(function () {
        res.range.lastPlay = lastPlay;
        res.range.playing = !audio.paused;
        audio.currentTime = from + 0.45;
        return wait(400);
      }).then(function () {
        res.range.pausedAtEnd = audio.paused && stopAt === null;
        res.range.currentTime = audio.currentTime;
      });
    }).then(function () {
      res.ok = errors.length === 0 && res.cuesLoaded > 0 && !!(res.wordSeek && res.wordSeek.ok) &&
               !!(res.flagSeek && res.flagSeek.ok) && res.cueText === res.expectedCueText &&
               !!(res.range && res.range.pausedAtEnd);
      out.textContent = JSON.stringify(res);
      out.hidden = false;
      document.title = 'selftest ' + (res.ok ? 'ok' : 'failed');
    }).catch(function (err) {
      res.ok = false; res.exception = String(err);
      out.textContent = JSON.stringify(res); out.hidden = false;
    });
  }
  if (/[?&]selftest=1\b/.test(location.search)) { selftest(); }
})();
"""


def render_review_html(alignment: Alignment, audio_href: str, vtt_text: str) -> str:
    """The review page as one self-contained HTML string (no external resources)."""
    al = alignment
    transcript_html, n_timed = _transcript_html(al)
    flags_html = _flags_html(al)
    cues = [{"start": round(c.start, 3), "end": round(c.end, 3), "speaker": c.speaker, "text": c.text}
            for c in al.cues]
    data = {"lang": al.language or "", "cues": cues}
    vtt_b64 = base64.b64encode(vtt_text.encode("utf-8")).decode("ascii")
    spoken = [w for w in al.words if w.reason != "unspoken"]
    timed = sum(1 for w in spoken if w.timed)
    try:
        from .cues import cue_stats

        st = cue_stats(al.cues)
        cue_note = f"{len(al.cues)} subtitles, {st['share_within_max_cps'] * 100:.0f}% within 17 characters/s"
    except Exception:  # the page must render even if the stats cannot
        cue_note = f"{len(al.cues)} subtitles"
    audio_name = str(al.audio_path).replace("\\", "/").rsplit("/", 1)[-1]
    meta = (f"{timed}/{len(spoken)} words placed · {len(al.mismatches)} flags · {cue_note} · "
            f"duration {_clock(al.duration)} · model {al.model or '?'} on {al.device or '?'}")
    lang = al.language or ""
    return f"""<!DOCTYPE html>
<html lang="{_e(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="podalign">
<title>Review · {_e(audio_name)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Review · {_e(audio_name)}</h1>
<p class="meta">{_e(meta)}</p>
<div id="player">
<audio id="audio" controls preload="auto" src="{_e(audio_href)}">
<track id="subtitles" kind="subtitles" default label="Subtitles" srclang="{_e(lang or 'und')}" src="data:text/vtt;base64,{vtt_b64}">
</audio>
<label><input type="checkbox" id="follow" checked> follow the audio</label>
<div id="cue" aria-live="polite"></div>
</div>
</header>
<main>
<aside id="flags">
<h2>Flags ({len(al.mismatches)})</h2>
{flags_html}
</aside>
<article id="transcript" data-words="{n_timed}">
{transcript_html}
</article>
</main>
<pre id="selftest" hidden></pre>
<script type="application/json" id="podalign-data">{_script_json(data)}</script>
<script>{JS}</script>
</body>
</html>
"""
