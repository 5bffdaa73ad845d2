"""A seeded generator of editorial errors over the real-speech corpus (``bench/corpus/``).

Given a recording (its audio is never touched: only the transcript is edited) and the times of
its words in the exact transcript, write a *published* transcript with the errors editors make,
and a ``truth.json`` (format of ``../shared/episodes/README.md``) listing every difference:

| kind            | what the editor did                                  | truth kind / category |
|-----------------|------------------------------------------------------|-----------------------|
| ``name``        | a name replaced by a real name from a list           | substitution / name   |
| ``name_alike``  | a name replaced by a sound-alike spelling ("Wang")   | substitution / name   |
| ``number``      | a number replaced by another value                   | substitution / number |
| ``word``        | a word replaced by one that sounds different         | substitution / word   |
| ``added``       | a sentence written that is never said                | omission / sentence   |
| ``cut``         | a sentence said but cut from the text                | insertion / sentence  |
| ``ad``          | a whole turn of speech with no text (an ad)          | insertion / ad        |
| ``header``      | a title and a summary, never said                    | unspoken              |
| ``credits``     | closing credits after the last turn, never said      | unspoken              |

A wrong *word* sounds different from the said one (IPA similarity below ``WORD_MAX_SOUND`` by
the project's own phonetics): a same-sounding spelling is a writing difference, not an error.
Names come from Faker's locale lists (real first names, surnames, cities) and, for the
sound-alikes, from letter changes that keep the sound close (similarity in ``ALIKE_SOUND``).

The rules and the seed below were frozen before the verdict was first fitted
(``bench/fit_verdict.py``); they are not to be changed to suit a result.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from aligner.normalize import has_number, is_function_word, name_like, norm_token
from aligner.phonetics import sound_similarity

SEED = 20261205
WORD_MAX_SOUND = 0.7  # a wrong word must sound different (the rule)
ALIKE_SOUND = (0.55, 0.999)  # a sound-alike name: close, but not the same sound
NAME_MAX_SOUND = 0.55  # a name from the list: clearly another name
# errors of each kind per minute of speech, per edited variant (at least one where a site exists)
RATES = {"name": 1.0, "name_alike": 1.0, "number": 0.8, "word": 1.2, "added": 0.6, "cut": 0.6,
         "ad": 0.5}
MIN_GAP_WORDS = 3  # words left untouched between two edits
CUT_WORDS = (5, 9)  # a cut sentence: this many words from a turn's start or end
ADDED_WORDS = (6, 16)
AD_MIN_SECONDS = 5.0
LOCALES = {"fr": "fr_FR", "en": "en_US", "de": "de_DE", "es": "es_ES", "it": "it_IT",
           "pt": "pt_PT", "nl": "nl_NL"}
WORD_RE = re.compile(r"\w[\w'’\-]*\w|\w")

# Header and credits name nobody: a name there would be a recognition hotword (the product's
# rule), so each edited variant would need its own recognition pass; without one, every variant
# of a recording shares the clean transcript's recognition (cached), which is what makes the
# corpus affordable on 2 cores.  Names the producer knows are tested by the ``--names`` runs.
HEADERS = {
    "fr": ("Épisode {n} : {topic}", "Dans cet épisode, on revient sur {topic2} et on répond à vos questions."),
    "en": ("Episode {n}: {topic}", "In this episode, we talk about {topic2} and answer your questions."),
    "de": ("Folge {n}: {topic}", "In dieser Folge sprechen wir über {topic2} und beantworten eure Fragen."),
    "es": ("Episodio {n}: {topic}", "En este episodio, hablamos de {topic2} y respondemos a sus preguntas."),
    "it": ("Episodio {n}: {topic}", "In questo episodio, parliamo di {topic2} e rispondiamo alle domande."),
    "pt": ("Episódio {n}: {topic}", "Neste episódio, falamos sobre {topic2} e respondemos às suas perguntas."),
}
CREDITS = {
    "fr": "Merci d'avoir écouté. Retrouvez-nous la semaine prochaine pour un nouvel épisode.",
    "en": "Thanks for listening. See you next week for a new episode.",
    "de": "Danke fürs Zuhören. Bis nächste Woche zu einer neuen Folge.",
    "es": "Gracias por escuchar. Hasta la próxima semana con un nuevo episodio.",
    "it": "Grazie per l'ascolto. Alla prossima settimana con un nuovo episodio.",
    "pt": "Obrigado por ouvir. Até a próxima semana com um novo episódio.",
}
# letter changes that keep a name's sound close (tried in both directions)
ALIKE_SWAPS = [("ph", "f"), ("c", "k"), ("qu", "k"), ("ou", "u"), ("y", "i"), ("ai", "ay"),
               ("ei", "ey"), ("th", "t"), ("sch", "sh"), ("ch", "sh"), ("w", "v"), ("z", "s"),
               ("ck", "k"), ("ll", "l"), ("ss", "s"), ("tt", "t"), ("nn", "n"), ("mm", "m"),
               ("rr", "r"), ("ie", "y"), ("ee", "i"), ("au", "o"), ("eau", "o"), ("an", "en"),
               ("in", "ain"), ("d", "t"), ("b", "p"), ("g", "k"), ("v", "f"), ("m", "n"),
               ("h", ""), ("e", "a"), ("o", "u"), ("i", "e")]


@dataclass
class Recording:
    id: str
    language: str
    text: str
    segments: list[dict]  # start, end, speaker, src: one per turn (a line's body)
    words: list[dict] = field(default_factory=list)  # char_start, char_end, start, end (timed)
    heard: list[dict] = field(default_factory=list)  # text, start, end: recognition's words


@dataclass
class Edit:
    a: int  # span of the exact transcript replaced (a == b: an insertion point)
    b: int
    new: str
    kind: str
    truth: dict  # kind, category, spoken_text, start, end (span filled in when applied)


@dataclass
class Site:
    a: int
    b: int
    text: str
    seg: int
    k: int  # word index inside the segment


# ------------------------------------------------------------------------------ name lists

@lru_cache(maxsize=None)
def name_lists(language: str) -> dict[str, tuple[str, ...]]:
    from faker import Faker

    fk = Faker(LOCALES.get(language, "en_US"))
    out = {}
    for kind, attr in (("first", "first_names"), ("last", "last_names")):
        names = set()
        for prov in fk.providers:
            v = getattr(prov, attr, None)
            if v:
                names.update(v.keys() if isinstance(v, dict) else v)
        out[kind] = tuple(sorted(n for n in names if n.isalpha() and len(n) >= 3))
    cities = set()
    for prov in fk.providers:
        v = getattr(prov, "cities", None) or getattr(prov, "city_names", None)
        if v:
            cities.update(c for c in (v.keys() if isinstance(v, dict) else v))
    out["city"] = tuple(sorted(c for c in cities if c.replace(" ", "").isalpha() and " " not in c))
    return out


def _style(like: str, word: str) -> str:
    """``word`` written in the case style of ``like``."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word.lower()


# ------------------------------------------------------------------------------ sites

def _sites(rec: Recording) -> list[Site]:
    out = []
    for s, seg in enumerate(rec.segments):
        a0, b0 = seg["src"]
        for k, m in enumerate(WORD_RE.finditer(rec.text, a0, b0)):
            out.append(Site(m.start(), m.end(), m.group(), s, k))
    return out


def _before(rec: Recording, site: Site) -> str:
    seg_a = rec.segments[site.seg]["src"][0]
    return rec.text[seg_a:site.a] if site.a > seg_a else ". "


def is_name(rec: Recording, site: Site) -> bool:
    if len(site.text) < 3 or not site.text.isalpha():
        return False
    if is_function_word(norm_token(site.text, rec.language), rec.language):
        return False
    caseless = rec.text == rec.text.lower() or rec.text == rec.text.upper()
    if caseless:
        return heard_as_name(rec, site)
    return name_like(site.text, _before(rec, site))


def heard_as_name(rec: Recording, site: Site) -> bool:
    """In a caseless transcript (FLEURS, LibriSpeech), a word is a name when recognition, at
    the time it is said, wrote the same word with a capital not at a sentence start."""
    t = _time(rec, site.a, site.b)
    if t is None:
        return False
    want = norm_token(site.text, rec.language)
    for j, h in enumerate(rec.heard):
        if h["end"] < t[0] - 0.3 or h["start"] > t[1] + 0.3:
            continue
        core = h["text"].strip().strip(".,;:!?«»\"'()")
        if norm_token(core, rec.language) != want:
            continue
        before = rec.heard[j - 1]["text"].strip() if j else "."
        if core[:1].isupper() and before[-1:] not in ".!?":
            return True
    return False


_NOT_NUMBERS = {"un", "une", "one", "a", "an", "ein", "eine", "einen", "einem", "einer", "uno",
                "una", "un", "o", "uma", "um"}


def is_number(rec: Recording, site: Site) -> bool:
    return site.text.lower() not in _NOT_NUMBERS and has_number(site.text, rec.language)


def is_content(rec: Recording, site: Site) -> bool:
    return (len(site.text) >= 4 and site.text.replace("-", "").replace("'", "").isalpha()
            and not is_function_word(norm_token(site.text, rec.language), rec.language))


# ------------------------------------------------------------------------------ replacements

def _other_number(text: str, language: str, rnd: random.Random) -> str | None:
    from num2words import num2words

    if text.isdigit():
        v = int(text)
        for _ in range(20):
            w = v + rnd.choice([-3, -2, -1, 1, 2, 3, 5, 10]) * max(1, 10 ** (len(text) - 2))
            if w > 0 and w != v:
                return str(w)
        return None
    choices = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 30, 40, 50, 100, 1000]
    rnd.shuffle(choices)
    for c in choices:
        try:
            w = num2words(c, lang=language)
        except Exception:
            return None
        if " " in w:
            continue
        if norm_token(w, language) != norm_token(text, language):
            return _style(text, w)
    return None


def _list_name(site: Site, language: str, rnd: random.Random) -> str | None:
    lists = name_lists(language)
    low = site.text.lower()
    pool = next((lists[k] for k in ("first", "last", "city") if low in {n.lower() for n in lists[k]}),
                lists["last"])
    for _ in range(40):
        n = rnd.choice(pool)
        if n.lower() != low and sound_similarity(site.text, n, language) < NAME_MAX_SOUND:
            return _style(site.text, n)
    return None


def _alike_name(site: Site, language: str, rnd: random.Random) -> str | None:
    low = site.text.lower()
    cands = set()
    for x, y in ALIKE_SWAPS:
        for f, t in ((x, y), (y, x)):
            if not f:
                continue
            i = low.find(f, 1 if f == "h" else 0)
            while i >= 0:
                c = low[:i] + t + low[i + len(f):]
                if len(c) >= 3 and c != low:
                    cands.add(c)
                i = low.find(f, i + 1)
    for pool in name_lists(language).values():  # real names that sound close ("Wang", "Huang")
        for n in pool:
            if abs(len(n) - len(low)) <= 2 and n[:1].lower() in low[:2] + "hw":
                cands.add(n.lower())
    cands.discard(low)
    scored = [(sound_similarity(site.text, c, language), c) for c in sorted(cands)]
    good = [c for s, c in scored if ALIKE_SOUND[0] <= s < ALIKE_SOUND[1]]
    return _style(site.text, rnd.choice(good)) if good else None


def _other_word(site: Site, pool: list[str], language: str, rnd: random.Random) -> str | None:
    own = norm_token(site.text, language)
    for _ in range(40):
        w = rnd.choice(pool)
        if norm_token(w, language) != own and sound_similarity(site.text, w, language) < WORD_MAX_SOUND:
            return _style(site.text, w)
    return None


# ------------------------------------------------------------------------------ the generator

def _time(rec: Recording, a: int, b: int) -> tuple[float, float] | None:
    ws = [w for w in rec.words if w["char_start"] < b and a < w["char_end"]
          and w.get("start") is not None]
    if not ws:
        return None
    return min(w["start"] for w in ws), max(w["end"] for w in ws)


def plan_edits(rec: Recording, pool: list[str], others: list[str], rnd: random.Random,
               minutes: float) -> list[Edit]:
    """The edits of one variant: sites drawn at random, at least ``MIN_GAP_WORDS`` apart."""
    sites = _sites(rec)
    taken: set[int] = set()  # indexes into sites
    whole_segs: set[int] = set()
    edits: list[Edit] = []

    def free(i0: int, i1: int) -> bool:
        return all(j not in taken for j in range(i0 - MIN_GAP_WORDS, i1 + MIN_GAP_WORDS + 1)) and \
            all(sites[j].seg not in whole_segs for j in range(max(0, i0), min(len(sites), i1 + 1)))

    def take(i0: int, i1: int) -> None:
        taken.update(range(i0, i1 + 1))

    def want(kind: str) -> int:
        return max(1, round(RATES[kind] * minutes))

    # Whole turns first (an ad), then cuts, then word-level edits.
    segs = list(range(len(rec.segments)))
    rnd.shuffle(segs)
    n_ad = 0
    for s in segs:
        seg = rec.segments[s]
        if n_ad >= want("ad") or len(rec.segments) - len(whole_segs) <= 3:
            break
        if seg["end"] - seg["start"] < AD_MIN_SECONDS:
            continue
        line_a = rec.text.rfind("\n", 0, seg["src"][0]) + 1
        line_b = rec.text.find("\n", seg["src"][1])
        line_b = len(rec.text) if line_b < 0 else line_b + 1
        spoken = rec.text[seg["src"][0]:seg["src"][1]]
        edits.append(Edit(line_a, line_b, "", "ad", {
            "kind": "insertion", "category": "ad", "spoken_text": spoken,
            "start": seg["start"], "end": seg["end"]}))
        whole_segs.add(s)
        n_ad += 1

    by_seg: dict[int, list[int]] = {}
    for i, st in enumerate(sites):
        by_seg.setdefault(st.seg, []).append(i)
    n_cut = 0
    for s in segs:
        if n_cut >= want("cut"):
            break
        idx = by_seg.get(s, [])
        k = rnd.randint(*CUT_WORDS)
        if s in whole_segs or len(idx) < k + 4:
            continue
        run = idx[:k] if rnd.random() < 0.5 else idx[-k:]
        if not free(run[0], run[-1]):
            continue
        a, b = sites[run[0]].a, sites[run[-1]].b
        if run[0] == idx[0]:  # cut from the start: the space after goes too
            b = sites[run[-1] + 1].a
        else:
            a = sites[run[0] - 1].b
        t = _time(rec, sites[run[0]].a, sites[run[-1]].b)
        if t is None:
            continue
        edits.append(Edit(a, b, "", "cut", {
            "kind": "insertion", "category": "sentence", "spoken_text": rec.text[a:b].strip(),
            "start": t[0], "end": t[1]}))
        take(run[0], run[-1])
        n_cut += 1

    def word_edits(kind: str, ok, replace) -> None:
        order = list(range(len(sites)))
        rnd.shuffle(order)
        n = 0
        for i in order:
            if n >= want(kind):
                return
            st = sites[i]
            if not free(i, i) or not ok(rec, st):
                continue
            new = replace(st)
            if not new or new == st.text:
                continue
            t = _time(rec, st.a, st.b) or (rec.segments[st.seg]["start"], rec.segments[st.seg]["end"])
            cat = {"name": "name", "name_alike": "name", "number": "number", "word": "word"}[kind]
            edits.append(Edit(st.a, st.b, new, kind, {
                "kind": "substitution", "category": cat, "spoken_text": st.text,
                "start": t[0], "end": t[1], "generator_kind": kind}))
            take(i, i)
            n += 1

    lang = rec.language
    word_edits("number", is_number, lambda st: _other_number(st.text, lang, rnd))
    word_edits("name_alike", is_name, lambda st: _alike_name(st, lang, rnd))
    word_edits("name", is_name, lambda st: _list_name(st, lang, rnd))
    word_edits("word", lambda r, st: is_content(r, st) and not is_name(r, st) and not is_number(r, st),
               lambda st: _other_word(st, pool, lang, rnd))

    n_add = 0
    for s in segs:
        if n_add >= want("added") or not others:
            break
        idx = by_seg.get(s, [])
        if s in whole_segs or not idx:
            continue
        at_end = rnd.random() < 0.5
        i = idx[-1] if at_end else idx[0]
        if not free(i, i):
            continue
        words = rnd.choice(others).split()
        k = rnd.randint(*ADDED_WORDS)
        if len(words) < ADDED_WORDS[0]:
            continue
        start = rnd.randint(0, max(0, len(words) - k))
        sent = " ".join(words[start:start + k])
        if at_end:
            p = rec.segments[s]["src"][1]
            new = " " + sent
            t = _time(rec, sites[i].a, sites[i].b)
            when = t[1] if t else rec.segments[s]["end"]
        else:
            p = rec.segments[s]["src"][0]
            new = sent + " "
            t = _time(rec, sites[i].a, sites[i].b)
            when = t[0] if t else rec.segments[s]["start"]
        edits.append(Edit(p, p, new, "added", {
            "kind": "omission", "category": "sentence", "spoken_text": "",
            "start": when, "end": when, "added": sent}))
        take(i, i)
        n_add += 1
    return edits


def apply_edits(rec: Recording, edits: list[Edit], header: list[str], credits: list[str]) -> tuple[str, dict]:
    """The published text and its truth: char spans moved to the edited text."""
    edits = sorted(edits, key=lambda e: (e.a, e.b))
    out, pos, new_pos = [], 0, 0
    head = "".join(line + "\n" for line in header)
    out.append(head)
    new_pos = len(head)
    expected, unspoken = [], []
    if header:
        unspoken.append([0, len(head) - 1])
    moved: dict[int, int] = {}  # old offset -> new offset, at edit edges

    def copy_to(x: int) -> None:
        nonlocal pos, new_pos
        out.append(rec.text[pos:x])
        new_pos += x - pos
        pos = x

    for n, e in enumerate(edits):
        copy_to(e.a)
        moved[e.a] = new_pos
        a_new = new_pos
        out.append(e.new)
        new_pos += len(e.new)
        pos = e.b
        span_text = e.new.strip()
        if e.kind == "added":
            lead = len(e.new) - len(e.new.lstrip())
            span = [a_new + lead, a_new + lead + len(span_text)]
        elif e.kind in ("cut", "ad"):
            span = [a_new, a_new]
        else:
            span = [a_new, a_new + len(e.new)]
        t = dict(e.truth)
        t.update(id=f"g{n}", transcript_span=span, transcript_text=span_text if e.kind not in ("cut", "ad") else "")
        expected.append(t)
    copy_to(len(rec.text))
    text = "".join(out)
    if credits:
        if not text.endswith("\n"):
            text += "\n"
        c0 = len(text)
        text += "\n".join(credits) + "\n"
        unspoken.append([c0, len(text) - 1])

    def move(x: int) -> int:
        shift = len(head)
        for e in edits:
            if e.b <= x:
                shift += len(e.new) - (e.b - e.a)
        return x + shift

    cut_lines = [(e.a, e.b) for e in edits if e.kind == "ad"]
    segments = []
    for seg in rec.segments:
        a, b = seg["src"]
        if any(x <= a and b <= y for x, y in cut_lines):
            continue
        na, nb = move(a), move(b)
        for e in edits:  # a cut or an addition at the turn's edge moves its edge
            if e.kind == "cut" and e.a <= a < e.b:
                na = move(e.b)
            if e.kind == "cut" and e.a < b <= e.b:
                nb = move(e.a) if e.a > a else nb
        segments.append(dict(seg, src=[na, nb]))
    for e, t in zip(edits, expected):
        assert e.kind in ("cut", "ad", "added") or text[t["transcript_span"][0]:t["transcript_span"][1]] == e.new
    return text, {"expected": expected, "unspoken": unspoken, "segments": segments}


def make_variant(rec: Recording, variant: int, pool: list[str], others: list[str],
                 seed: int = SEED) -> tuple[str, dict, list[str]]:
    """Variant 0 is the untouched transcript; variants 1.. are edited, each with its own draw.
    Returns the text, the truth, and the names a producer would know (the said spellings of
    every name edited in: what ``--names`` holds in the bench)."""
    base = {"audio_seconds": None, "language": rec.language,
            "speakers": sorted({s["speaker"] for s in rec.segments}), "words": []}
    if variant == 0:
        return rec.text, dict(base, segments=rec.segments, expected=[], unspoken=[]), []
    rnd = random.Random(f"{seed}:{rec.id}:{variant}")
    minutes = sum(s["end"] - s["start"] for s in rec.segments) / 60.0
    edits = plan_edits(rec, pool, others, rnd, minutes)
    lang = rec.language if rec.language in HEADERS else "en"
    topic_words = [w for w in pool if len(w) > 5]
    topic = " ".join(rnd.sample(topic_words, 2)).capitalize() if len(topic_words) >= 2 else "Actualité"
    topic2 = " ".join(rnd.sample(topic_words, 2)) if len(topic_words) >= 2 else topic
    title, summary = HEADERS[lang]
    header = [title.format(n=rnd.randint(2, 250), topic=topic), summary.format(topic2=topic2)]
    credits = [CREDITS[lang]]
    text, truth = apply_edits(rec, edits, header, credits)
    known = sorted({e.truth["spoken_text"] for e in edits if e.kind in ("name", "name_alike")})
    return text, dict(base, **truth), known


def load_recording(folder: Path, words: list[dict] | None = None) -> Recording:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    text = (folder / "transcript.txt").read_text(encoding="utf-8")
    return Recording(folder.name, truth["language"], text, truth["segments"], words or [])


def pools(recs: list[Recording]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per language: content words to draw wrong words from, and turns to draw added sentences
    from (each recording takes them from the *other* recordings, see ``others_for``)."""
    words: dict[str, set[str]] = {}
    for r in recs:
        for st in _sites(r):
            if is_content(r, st) and not is_name(r, st) and not is_number(r, st) and "-" not in st.text:
                words.setdefault(r.language, set()).add(st.text.lower())
    turns: dict[str, list[str]] = {}
    for r in recs:
        for s in r.segments:
            turns.setdefault(r.language, []).append((r.id, r.text[s["src"][0]:s["src"][1]]))
    return {k: sorted(v) for k, v in words.items()}, turns


def others_for(rec: Recording, turns: dict) -> list[str]:
    """Turns an added sentence is drawn from: other recordings' of the same language, or, where
    the corpus has one recording of it, this recording's own (an editor pasting a passage twice;
    it lands away from where it is said: ``plan_edits`` puts it at another turn's edge)."""
    other = [t for rid, t in turns.get(rec.language, []) if rid != rec.id]
    return other or [t for rid, t in turns.get(rec.language, []) if rid == rec.id]
