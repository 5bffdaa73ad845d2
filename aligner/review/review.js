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

  // ------------------------------------------------------------------ decisions
  // A decision is a span of the original transcript (code-point offsets, as Python counts
  // them) and its replacement.  The spans and texts of "keep" / "use heard" / the suggestion
  // come ready from Python (decisions.flag_choices); the script only records which one, or the
  // person's own text, so the page and `podalign apply` cannot disagree.
  var cps = Array.from(data.text || '');  // code points: a JS string indexes UTF-16 units
  var flagsData = data.flags || [];
  var storageKey = data.storageKey;
  var decisions = {};  // id ("f<k>" for a flag, "w<char_start>" for a word) -> decision
  var order = Array.prototype.map.call(document.querySelectorAll('.flag-item'),
                                       function (li) { return parseInt(li.getAttribute('data-flag'), 10); });
  var curFlag = null, curWord = null;

  function slice(a, b) { return cps.slice(a, b).join(''); }
  function loadDecisions() {
    try {
      var raw = window.localStorage ? localStorage.getItem(storageKey) : null;
      var s = raw ? JSON.parse(raw) : null;
      if (s && s.decisions && typeof s.decisions === 'object') { decisions = s.decisions; }
    } catch (err) { errors.push('saved decisions unreadable: ' + err); }
  }
  function saveDecisions() {
    try { localStorage.setItem(storageKey, JSON.stringify({saved: new Date().toISOString(), decisions: decisions})); }
    catch (err) { errors.push('decisions not saved: ' + err); }
  }
  function flagDecision(k, action, span) {
    var f = flagsData[k];
    return {action: action, char_start: span[0], char_end: span[1], text: span[2], flag: f.ref};
  }
  function decideFlag(k, act, text) {
    var f = flagsData[k];
    if (!f) { return null; }
    var d;
    if (act === 'keep') { d = flagDecision(k, 'keep', f.keep); }
    else if (act === 'accept') {
      d = f.suggestion ? flagDecision(k, 'suggestion', f.suggestion) : flagDecision(k, 'heard', f.heard);
    } else if (act === 'edit') {
      var t = String(text);
      if (f.insertion) { t = t.trim() ? (f.trailing ? ' ' + t.trim() : t.trim() + ' ') : ''; }
      d = flagDecision(k, 'edit', [f.keep[0], f.keep[1], t]);
    } else if (act === 'undo') { delete decisions['f' + k]; saveDecisions(); render(); return null; }
    decisions['f' + k] = d;
    saveDecisions(); render();
    return d;
  }
  function editWord(el, text) {
    var a = parseInt(el.getAttribute('data-cs'), 10), b = parseInt(el.getAttribute('data-ce'), 10);
    if (text === slice(a, b)) { delete decisions['w' + a]; }
    else { decisions['w' + a] = {action: 'word', char_start: a, char_end: b, text: String(text), flag: null}; }
    saveDecisions(); render();
  }
  function list() {
    return Object.keys(decisions).map(function (id) { return decisions[id]; });
  }
  function changes() {  // the decisions that change the text, in text order; overlaps dropped
    var ds = list().filter(function (d) { return slice(d.char_start, d.char_end) !== d.text; });
    ds.sort(function (x, y) { return x.char_start - y.char_start || x.char_end - y.char_end; });
    var out = [], end = -1;
    ds.forEach(function (d) {
      if (d.char_start < end) { errors.push('overlapping decision ignored at ' + d.char_start); return; }
      out.push(d); end = d.char_end;
    });
    return out;
  }
  function correctedText() {
    var out = [], pos = 0;
    changes().forEach(function (d) { out.push(slice(pos, d.char_start), d.text); pos = d.char_end; });
    out.push(slice(pos, cps.length));
    return out.join('');
  }
  function decisionsJson() {
    var ds = list().slice().sort(function (x, y) { return x.char_start - y.char_start || x.char_end - y.char_end; });
    return JSON.stringify({format: data.format, version: data.version, transcript: data.transcript,
                           transcript_sha256: data.transcriptSha256, transcript_chars: cps.length,
                           audio_sha256: data.audioSha256, decisions: ds}, null, 1) + '\n';
  }
  function download(name, text, type) {
    var parts = (data.bom && type.indexOf('text/plain') === 0) ? ['\ufeff', text] : [text];
    var url = URL.createObjectURL(new Blob(parts, {type: type}));
    var a = document.createElement('a');
    a.href = url; a.download = name; a.style.display = 'none';
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
    return name;
  }
  function stem() { return data.transcript.replace(/\.[^.]*$/, ''); }
  function ext() { var m = /\.[^.]*$/.exec(data.transcript); return m ? m[0] : '.txt'; }
  function exportText() { return download(stem() + '.corrected' + ext(), correctedText(), 'text/plain;charset=utf-8'); }
  function exportDecisions() { return download(stem() + '.decisions.json', decisionsJson(), 'application/json'); }

  function render() {
    Array.prototype.forEach.call(document.querySelectorAll('#transcript .rep'), function (el) { el.remove(); });
    Array.prototype.forEach.call(document.querySelectorAll('.changed, .kept, .decided'), function (el) {
      el.classList.remove('changed', 'kept', 'decided', 'd-keep', 'd-heard', 'd-suggestion', 'd-edit');
    });
    Object.keys(decisions).forEach(function (id) {
      var d = decisions[id], changed = slice(d.char_start, d.char_end) !== d.text, anchor;
      if (id.charAt(0) === 'f') {
        var k = id.slice(1), item = document.querySelector('.flag-item[data-flag="' + k + '"]');
        var v = item && item.querySelector('.verdict');
        if (item) { item.classList.add('decided', 'd-' + d.action); }
        if (v) { v.textContent = d.action === 'keep' ? 'kept as published' : (changed ? '→ ' + (d.text.trim() || '(deleted)') : 'no change'); }
        var els = document.querySelectorAll('#transcript [data-flag="' + k + '"]');
        Array.prototype.forEach.call(els, function (el) { el.classList.add(changed ? 'changed' : 'kept'); });
        anchor = els.length ? els[els.length - 1] : null;
      } else {
        anchor = document.querySelector('#transcript .w[data-cs="' + d.char_start + '"]');
        if (anchor && changed) { anchor.classList.add('changed'); }
      }
      if (anchor && changed) {
        var rep = document.createElement('ins');
        rep.className = 'rep'; rep.textContent = d.text.trim() || '∅';
        anchor.parentNode.insertBefore(rep, anchor.nextSibling);
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('.verdict'), function (v) {
      if (!decisions['f' + v.getAttribute('data-flag')]) { v.textContent = ''; }
    });
    var n = order.filter(function (k) { return decisions['f' + k]; }).length;
    var w = Object.keys(decisions).filter(function (id) { return id.charAt(0) === 'w'; }).length;
    document.getElementById('progress').textContent = n + '/' + order.length + ' flags decided' + (w ? ', ' + w + ' word edit' + (w > 1 ? 's' : '') : '');
  }

  // an inline editor in place of the word (or of the flag's decision line)
  function openEditor(anchor, initial, done) {
    var box = document.createElement('input');
    box.type = 'text'; box.className = 'editor'; box.value = initial;
    box.size = Math.max(8, initial.length + 2);
    anchor.parentNode.insertBefore(box, anchor.nextSibling);
    box.focus(); box.select();
    var finished = false;
    function finish(ok) {
      if (finished) { return; }
      finished = true; box.remove();
      if (ok) { done(box.value); }
    }
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); finish(true); }
      else if (e.key === 'Escape') { e.preventDefault(); finish(false); }
      e.stopPropagation();
    });
    box.addEventListener('blur', function () { finish(true); });
    return box;
  }
  function editFlag(k) {
    var f = flagsData[k];
    if (!f) { return null; }
    var d = decisions['f' + k];
    var initial = d ? d.text.trim() : (f.insertion ? f.ref.heard : f.keep[2]);
    var anchor = document.querySelector('.decide[data-flag="' + k + '"] .verdict');
    return openEditor(anchor, initial, function (v) { decideFlag(k, 'edit', v); });
  }
  function editWordEl(el) {
    if (el.hasAttribute('data-flag')) { return editFlag(el.getAttribute('data-flag')); }
    var a = el.getAttribute('data-cs'), d = decisions['w' + a];
    return openEditor(el, d ? d.text : el.textContent, function (v) { editWord(el, v); });
  }
  function selectFlag(k, scroll) {
    curFlag = parseInt(k, 10); curWord = null;
    if (scroll) { markFlag(k); }
  }
  function step(delta) {
    if (!order.length) { return null; }
    var i = order.indexOf(curFlag);
    i = i < 0 ? (delta > 0 ? 0 : order.length - 1) : Math.min(order.length - 1, Math.max(0, i + delta));
    selectFlag(order[i], true);
    return curFlag;
  }

  document.getElementById('transcript').addEventListener('dblclick', function (e) {
    var w = e.target.closest ? e.target.closest('.w[data-cs]') : null;
    if (w) { e.preventDefault(); editWordEl(w); }
  });
  document.getElementById('transcript').addEventListener('click', function (e) {
    var w = e.target.closest ? e.target.closest('.w[data-cs]') : null;
    if (w) { curWord = w; curFlag = w.hasAttribute('data-flag') ? parseInt(w.getAttribute('data-flag'), 10) : null; }
  }, true);
  flagsPanel.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('button.act[data-flag]') : null;
    if (b) {
      var k = parseInt(b.getAttribute('data-flag'), 10);
      selectFlag(k, false);
      if (b.getAttribute('data-act') === 'edit') { editFlag(k); } else { decideFlag(k, b.getAttribute('data-act')); }
      return;
    }
    var item = e.target.closest ? e.target.closest('.flag-item') : null;
    if (item) { selectFlag(item.getAttribute('data-flag'), false); }
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) { return; }
    var key = e.key, handled = true;
    if (key === 'j' || key === 'ArrowDown') { step(1); }
    else if (key === 'k' || key === 'ArrowUp') { step(-1); }
    else if (key === 'p' || key === ' ') { if (curFlag !== null) { playFlag(curFlag); } else if (curWord) { seek(parseFloat(curWord.getAttribute('data-start') || '0'), true); } }
    else if (key === 'a') { if (curFlag !== null) { decideFlag(curFlag, 'accept'); step(1); } }
    else if (key === 'x') { if (curFlag !== null) { decideFlag(curFlag, 'keep'); step(1); } }
    else if (key === 'u') { if (curFlag !== null) { decideFlag(curFlag, 'undo'); } }
    else if (key === 'e') { if (curWord) { editWordEl(curWord); } else if (curFlag !== null) { editFlag(curFlag); } }
    else { handled = false; }
    if (handled) { e.preventDefault(); }
  });
  document.getElementById('export-text').addEventListener('click', exportText);
  document.getElementById('export-decisions').addEventListener('click', exportDecisions);
  document.getElementById('reset').addEventListener('click', function () {
    if (window.confirm('Forget every decision made on this page?')) { decisions = {}; saveDecisions(); render(); }
  });
  loadDecisions();
  render();

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
    state: function () { return {time: audio.currentTime, paused: audio.paused, stopAt: stopAt, lastPlay: lastPlay, seekMode: seekMode}; },
    decideFlag: decideFlag,
    decisions: function () { return JSON.parse(JSON.stringify(decisions)); },
    correctedText: correctedText,
    decisionsJson: decisionsJson,
    exportText: exportText,
    exportDecisions: exportDecisions,
    currentFlag: function () { return curFlag; }
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
