"""Read a published transcript: decode its bytes, find lines, speaker turns and words.

Offsets (``char_start``/``char_end``) index ``Transcript.text``: the file decoded with the detected
encoding, BOM removed, newlines kept as in the file ("\\r\\n" is two characters), i.e. what
``open(path, encoding=transcript.encoding, newline="")`` reads.  The file is never modified.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from . import nonspeech, normalize, webpage
from .errors import InputNotFound, TranscriptError
from .types import LabelCandidate, Line, Token, Transcript

__all__ = ["decode_transcript", "read_transcript", "parse_transcript"]


# ---------------------------------------------------------------------------------------------
# Decoding

def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    return bad / len(text)


def _guess_bomless_utf16(data: bytes) -> str | None:
    sample = data[:8192]
    if len(sample) < 2 or sample.count(0) < len(sample) * 0.2:
        return None
    even = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
    half = len(sample) / 2
    if odd > 0.3 * half and odd > 3 * even:
        return "utf-16-le"
    if even > 0.3 * half and even > 3 * odd:
        return "utf-16-be"
    return None


def decode_transcript(data: bytes) -> tuple[str, str]:
    """Decode transcript bytes -> (text, encoding).

    UTF-8 with or without BOM ("utf-8-sig" / "utf-8"), UTF-32 and UTF-16 with BOM ("utf-32",
    "utf-16"), UTF-16 without BOM when many bytes are NUL ("utf-16-le"/"utf-16-be"), else
    cp1252 (latin-1 for its five undefined bytes).  The BOM is removed; newlines are not
    translated.  The returned encoding reads the same text with ``open(..., newline="")``.
    Raises TranscriptError when the bytes are not text or hold only whitespace.
    """
    if not data:
        raise TranscriptError("the transcript is empty")
    candidates: list[str]
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        candidates = ["utf-32", "utf-16"]
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        candidates = ["utf-16"]
    else:
        guess = _guess_bomless_utf16(data)
        candidates = ([guess] if guess else []) + ["utf-8", "cp1252", "latin-1"]
    text = None
    encoding = ""
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        encoding = enc
        break
    if text is None:
        raise TranscriptError(f"the transcript cannot be decoded as text (tried {', '.join(candidates)})")
    if text.startswith("\ufeff"):  # a BOM the codec kept
        text = text[1:]
    if "\x00" in text or _control_ratio(text) > 0.01:
        raise TranscriptError(f"the transcript does not look like text (decoded as {encoding})")
    if not text.strip():
        raise TranscriptError("the transcript holds no text (only whitespace)")
    return text, encoding


def read_input(path, what: str) -> bytes:
    """The bytes of an input file named on the command line; ``InputNotFound`` (one line, exit 3)
    when it is missing, a folder or unreadable.  ``what`` names it in the message."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputNotFound(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise InputNotFound(f"{what} is a folder, not a file: {path}") from None
    except PermissionError:
        raise InputNotFound(f"{what} cannot be read (permission denied): {path}") from None
    except OSError as exc:
        raise InputNotFound(f"{what} cannot be read: {path} ({exc.strerror or exc})") from None


def read_transcript(path, language: str | None = None) -> Transcript:
    """Read, decode and parse the transcript file at ``path`` (never modified).

    Raises InputNotFound (missing, a folder, unreadable) or TranscriptError (not text, empty).
    """
    data = read_input(path, "transcript")
    try:
        text, encoding = decode_transcript(data)
    except TranscriptError as exc:
        raise TranscriptError(f"{path}: {exc}") from None
    transcript = parse_transcript(text, encoding=encoding, language=language)
    if not any(t.norm for t in transcript.tokens):
        raise TranscriptError(f"{path}: the transcript holds no words to align (only speaker labels, "
                              "time stamps, notes or punctuation)")
    return transcript


# ---------------------------------------------------------------------------------------------
# Speaker labels

# "Name :" / "Name:" / "Name\u00a0:" at the very start of a line (leading spaces allowed), the
# name possibly followed by a role in parentheses ("Aude Durand (Kyutai) :") and set in Markdown
# bold ("**Aude Durand :**", "**Paul** :", "__Paul__:").
_LABEL_RE = re.compile(
    r"[ \t]*(?P<bold>\*\*|__)?(?P<name>[^\W\d_](?:[^\W_]|[\-'’. \u00a0\u202f\t])*?)"
    r"(?:[ \t\u00a0\u202f]*\((?P<role>[^()\r\n]{1,40})\))?"
    r"(?(bold)(?:\*\*|__)?)[ \t\u00a0\u202f]*(?P<colon>[:：])(?(bold)(?:\*\*|__)?)(?!\d)"
    r"(?P<after>[ \t\u00a0\u202f]*)"
)
_PARTICLES = {
    "de", "du", "des", "d'", "d’", "la", "le", "les", "van", "von", "der", "den", "di", "da",
    "del", "della", "dos", "das", "do", "bin", "ben", "al", "el", "y", "e", "af", "ter", "zu",
    "of", "the", "mc", "st", "st.",
}
# Words that introduce metadata rather than a speaker ("Note: ...", "Titre : ...").
_NOT_SPEAKERS = {
    "note", "notes", "nb", "n.b.", "ps", "p.s.", "remarque", "attention", "avertissement",
    "warning", "update", "mise a jour", "edit", "source", "sources", "transcript",
    "transcription", "titre", "title", "resume", "summary", "description", "credits", "credit",
    "musique", "music", "sujet", "subject", "topic", "theme", "date", "episode", "lien", "liens",
    "link", "links", "invite", "invites", "invitee", "invitees", "guest", "guests", "avec",
    "with", "duree", "duration", "chapitres", "chapters", "sommaire", "contents", "tags",
    "mots cles", "keywords", "au programme", "programme", "references", "url", "site", "email",
    "contact", "copyright", "licence", "license", "sponsor", "partenaire", "production",
    "realisation", "redaction", "question", "questions", "exemple", "example", "rappel", "info",
    "infos", "important", "conclusion", "introduction", "intro", "outro", "bref", "bon",
    "alors", "donc", "mais", "enfin", "voila", "ensuite", "puis", "oui", "non", "so", "well",
    "yes", "no", "ok", "okay", "but", "and", "then", "now", "here", "voici",
}


# Of those, words that are also speaker roles: they count when they recur as labels.
_ROLES = {"guest", "invite", "invitee", "question", "questions", "intro", "outro"}
# "Episode 12: The title" opens many transcripts: a numbered part of a series, never a speaker,
# though it has the shape of "Speaker 1: ..." (seen on the corpus's generated headers, where it
# made the title a turn and hid the whole header).
_SERIES_WORDS = {
    "episode", "episodes", "ep", "ep.", "episodio", "folge", "aflevering", "puntata", "odcinek",
    "chapter", "chapitre", "capitulo", "kapitel", "capitolo", "part", "partie", "parte", "teil",
    "season", "saison", "temporada", "staffel", "stagione", "numero", "no", "no.", "nr", "nr.",
    "n°", "#", "show", "emission", "podcast", "session", "lecon", "lesson", "lektion",
}


def _fold(name: str) -> str:
    return " ".join(normalize._strip_accents(name.lower()).replace("\u00a0", " ").split())


def _name_words(name: str) -> list[str]:
    return name.replace("\u00a0", " ").replace("\u202f", " ").split()


def _syntactic_label(line: str) -> tuple[str, int, int, int] | None:
    """(name, name_start, colon_end, text_start) when ``line`` starts like "Name : text"."""
    m = _LABEL_RE.match(line)
    if not m:
        return None
    name = m.group("name").strip(" \t\u00a0\u202f")
    words = _name_words(name)
    if not (1 <= len(words) <= 5) or len(name) > 40:
        return None
    if name.endswith(("'", "’", "-")):
        return None
    rest = line[m.end():]
    if rest[:1] and unicodedata.category(rest[0])[0] == "P" and rest[0] not in "«\"“‘'([—–-¿¡…":
        return None  # "Aude Durand :, directrice": stray punctuation, not a label
    return name, m.start("name"), m.end("colon"), m.end()


# Role words a label may hold in lower case after a name ("EU Commission speaker", "Radio France
# host"): the label names a voice by its role.
_ROLE_WORDS = {"speaker", "reader", "host", "guest", "interviewer", "narrator", "moderator",
               "caller", "presenter", "journalist", "lecteur", "lectrice", "intervenant",
               "intervenante", "invite", "invitee", "animateur", "animatrice", "sprecher",
               "sprecherin", "lector", "lectora", "leitor", "leitora", "locutor", "locutora"}


def _label_key(name: str) -> str:
    """What makes two labels the same speaker's, or the same kind of label: "Reader 3" and
    "Reader 4" are two voices labelled the same way (a transcript naming its speakers by number,
    each speaking once, still has labels)."""
    return re.sub(r"\d+", "#", _fold(name))


def _looks_like_name(name: str) -> bool:
    words = _name_words(name)
    if _fold(name) in _NOT_SPEAKERS:
        return False
    if not words[0][0].isupper():
        return False
    lower = 0
    for w in words[1:]:
        if w[0].isupper() or w[0].isdigit():
            continue
        if _fold(w) in _ROLE_WORDS:
            continue
        if w.lower() in _PARTICLES:
            lower += 1
            continue
        return False
    return lower <= 2


def _voice_name(line: str) -> tuple[str, int, int, int] | None:
    """(name, name_start, tag_end, text_start) for a WebVTT cue line opening with <v Name>."""
    m = nonspeech.VOICE.match(line)
    if not m:
        return None
    name = m.group("name").strip()
    return name, m.start("name"), m.end(), m.end()


def _timed_name(line: str) -> tuple[str, int, int, int] | None:
    """(name, name_start, label_end, text_start) for a "Speaker 1  0:03" line: all label."""
    m = nonspeech.TIMED_NAME.match(line)
    if not m:
        return None
    name = m.group("name").strip(" \t\u00a0\u202f")
    if not 1 <= len(_name_words(name)) <= 5:
        return None
    return name, m.start("name"), len(line), len(line)


def _find_labels(lines: list[tuple[int, int]], text: str,
                 original: str) -> dict[int, tuple[str, int, int, int]]:
    """Line number -> (name, name_start, colon_end, text_start), absolute offsets.  ``text`` is
    the transcript with what is not said masked out; ``original`` is read for labels that
    markup or a time stamp make (<v Name>, "Speaker 1  0:03" alone on a line)."""
    cands: dict[int, tuple[str, int, int, int]] = {}
    counts: dict[str, int] = {}
    for i, (s, e) in enumerate(lines):
        line = original[s:_line_end(original, s)]
        lab = _voice_name(line) or _syntactic_label(text[s:e]) or _timed_name(line)
        if lab is None:
            continue
        name, ns, ce, ts = lab
        if _fold(name).split()[0] in _SERIES_WORDS:
            continue  # "Episode 12: ..." is a title
        cands[i] = (name, s + ns, s + ce, s + ts)
        key = _label_key(name)
        counts[key] = counts.get(key, 0) + 1
    recurring = {k for k, n in counts.items() if n >= 2 and (k not in _NOT_SPEAKERS or k in _ROLES)}
    # A recurring "name" must still look like a name or at least start with a capital.
    recurring = {k for k in recurring
                 if any(_label_key(c[0]) == k and c[0][0].isupper() and len(_name_words(c[0])) <= 4
                        for c in cands.values())}
    first_recurring = min((i for i, c in cands.items() if _label_key(c[0]) in recurring),
                          default=None)
    labels = {}
    for i, (name, ns, ce, ts) in sorted(cands.items()):
        key = _label_key(name)
        has_text = bool(text[ts:lines[i][1]].strip())
        if key in recurring:
            ok = True
        elif first_recurring is not None:
            # Once real turns exist, a one-off label must come after the first of them.
            ok = i > first_recurring and _looks_like_name(name)
        else:
            ok = has_text and _looks_like_name(name)
        if ok:
            labels[i] = (name, ns, ce, ts)
    return labels


def _is_initial(word: str) -> bool:
    """"J.", "St.", "Dr.": a dot that abbreviates a name word, not one that ends a sentence."""
    return word.endswith(".") and 1 <= len(word.rstrip(".")) <= 2


def _shape(name: str) -> tuple[str, ...]:
    """The form of a label, names aside: "Alice Martin" and "Bob Stone" are ("N", "N"), "Lecteur 2"
    is ("lecteur", "#")."""
    return tuple("#" if w[0].isdigit() else _fold(w) if _fold(w) in _ROLE_WORDS else "N"
                 for w in _name_words(name))


def _inline_labels(said: str, ls: int, le: int,
                   known: set[str]) -> list[tuple[str, int, int, int]]:
    """Turn starts recovered inside one line whose line breaks were lost ("Titre. Lecteur 1 : ...
    Lecteur 2 : ..."): (name, name_start, colon_end, text_start), absolute offsets.

    Each colon in the line may close a label; its candidates are the 1-5 words before it that
    ``_syntactic_label`` reads as one, never reaching back over a sentence's full stop.  A colon
    starts a turn when the longest of its candidates has a label key that is a label elsewhere in
    the transcript (``known``) or that closes at least two colons of this line ("Lecteur 2" /
    "Lecteur 3" share "lecteur #", "Alice Martin" twice); once such labels exist in the line, a
    one-off that looks like a name and has the same form ("Bob Stone" beside "Alice Martin")
    counts too, after the first of them.  Fewer than two turn starts inside the line (a label at
    its start not counted): none (a label-like phrase said once in running text, "Bonjour Aude
    Durand : ...", stays text, even after a label that starts the line).
    These are candidates: the repetition says where turns may start, the audio says whether
    they do (``plan.settle_inline_labels``: a candidate whose words are heard stays text).
    """
    per_colon: list[list[tuple[str, int, int, int]]] = []
    seg = ls
    for m in re.finditer(r"[:：]", said[ls:le]):
        colon = ls + m.start()
        words = [(seg + w.start(), w.group()) for w in re.finditer(r"\S+", said[seg:colon])]
        cands = []
        for k in range(1, min(len(words), 7) + 1):
            start, word = words[-k]
            if k > 1 and word.endswith(".") and not _is_initial(word):
                break  # a sentence ends before the label
            lab = _syntactic_label(said[start:le])
            if lab is None or start + lab[2] != colon + 1:
                continue
            name, ns, ce, ts = lab
            if _fold(name).split()[0] in _SERIES_WORDS:
                continue
            if _looks_like_name(name) or _label_key(name) in known:
                cands.append((name, start + ns, start + ce, start + ts))
        per_colon.append(cands)
        seg = colon + 1
    counts: dict[str, int] = {}
    for cands in per_colon:
        for key in {_label_key(c[0]) for c in cands}:
            counts[key] = counts.get(key, 0) + 1

    def recurs(name: str) -> bool:
        key = _label_key(name)
        return key in known or (counts[key] >= 2 and (key not in _NOT_SPEAKERS or key in _ROLES))

    found: list[tuple[str, int, int, int]] = []
    shapes: set[tuple[str, ...]] = set()
    for cands in per_colon:  # candidates run from the shortest name to the longest
        best = next((c for c in reversed(cands) if recurs(c[0])), None)
        if best is None and shapes:
            best = next((c for c in reversed(cands)
                         if _looks_like_name(c[0]) and _shape(c[0]) in shapes), None)
        elif best is not None:
            shapes.add(_shape(best[0]))
        if best is not None:
            found.append(best)
    # Two turn starts *inside* the line, a label at its start not counted: "Monde Numérique :
    # Merci beaucoup. Aude Durand :, directrice ..." is a turn whose speaker names the guest
    # (the reference episode), not two turns; a line whose breaks were lost holds several.
    inside = [f for f in found if said[ls:f[1]].strip()]
    return found if len(inside) >= 2 else []


# ---------------------------------------------------------------------------------------------
# Parsing

# A chunk of a line: non-blanks, where "Ã" and a no-break space stay together: they are "à"
# (UTF-8 C3 A0) read as cp1252, mojibake that ftfy repairs only when it sees both
_CHUNK = re.compile(r"(?:\u00c3\u00a0|\S)+")
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _split_lines(text: str) -> list[tuple[int, int]]:
    """Spans of the non-empty lines, trailing whitespace and newline excluded."""
    spans = []
    for m in _LINE_RE.finditer(text):
        s = m.start()
        content = m.group(0).rstrip("\r\n")
        stripped = content.rstrip()
        if stripped.strip():
            spans.append((s, s + len(stripped)))
        if m.end() >= len(text):
            break
    return spans


_LINE_REST = re.compile(r"[^\r\n]*")


def _line_end(text: str, start: int) -> int:
    return _LINE_REST.match(text, start).end()


def _is_word(chunk: str) -> bool:
    return any(c.isalnum() for c in chunk)


def parse_transcript(text: str, encoding: str = "utf-8", language: str | None = None,
                     spoken_labels: frozenset[int] = frozenset()) -> Transcript:
    """Split decoded transcript text into lines, speaker turns and tokens (pure function).

    - A line starting with "Name :" / "Name:" (1-5 words, <= 40 chars) starts a turn; label-like
      text inside a line is spoken text.  Names that recur as labels always count; a one-off label
      counts when it looks like a name and, if recurring labels exist, comes after the first one.
    - Except where line breaks were lost: two or more label-like patterns of one form inside a
      line (a name labelled elsewhere, "Lecteur 2 :" ... "Lecteur 3 :", one name twice) start
      turns there and split the line into several Lines (``_inline_labels``); the text before
      the first is a line of its own, a header candidate while no turn has started.  A pattern
      said once in running text stays text.  These turn starts are candidates, kept in
      ``Transcript.label_candidates``: those whose name starts at an offset in
      ``spoken_labels`` (the audio holds their words: ``plan.settle_inline_labels``) are read
      as spoken text instead; with no audio, every candidate starts a turn.
    - A line without a label continues the previous speaker.  Lines before the first label have
      speaker None and ``header=True``; with no labels at all, nothing is header.
    - A web page (``webpage.looks_like_html``) is read as its reader sees it: block elements end
      lines, markup, scripts and styles are blanks; offsets remain offsets into ``text``.
    - Tokens are whitespace-separated chunks after the label; chunks with no letter or digit
      ("?", "«", "—", emoji) are glued to the previous token of the line, else to the next one,
      and dropped only when the line has no word.
    """
    # A web page is read as what its reader sees: markup blanked, block elements ending lines,
    # all at the page's own offsets (webpage.markup_free), so offsets stay offsets into the file.
    page = webpage.markup_free(text) if webpage.looks_like_html(text) else ""
    said = nonspeech.mask(page or text)  # same offsets; time stamps and sound notes are blanks
    spans = _split_lines(said)
    if page:  # a line starts at its first visible character, not at the blanked tag before it
        spans = [(e - len(said[s:e].lstrip()), e) for s, e in spans]
    labels = _find_labels(spans, said, page or text)
    # Lines whose line breaks were lost: label-like patterns repeated inside one line start turns
    # there (_inline_labels); the line becomes several Lines, the text before the first of them a
    # line of its own (a header while no turn has started, else the previous speaker's).
    parts: list[tuple[int, int, tuple[str, int, int, int] | None]] = []
    candidates: list[LabelCandidate] = []
    for li, (ls, le) in enumerate(spans):
        start_label = labels.get(li)
        known = {_label_key(lab[0]) for j, lab in labels.items() if j != li}
        inline = _inline_labels(said, ls, le, known)
        if start_label is not None and inline:
            if start_label[2] == inline[0][2]:  # the same colon: the shorter name is the label
                start_label = None              # ("Titre. Lecteur 1 :" -> "Lecteur 1 :")
            else:
                inline = [lab for lab in inline if lab[1] >= start_label[3]]
                if len(inline) < 2:
                    inline = []
        # The text found the candidates inside the line (one at its start is a label, as on
        # any line); the audio, when given, has said which are spoken words, not labels: those
        # stay in the running text.
        inside = [lab for lab in inline if said[ls:lab[1]].strip()]
        candidates += [LabelCandidate(n, ns, ce, ts, turn=ns not in spoken_labels)
                       for n, ns, ce, ts in inside]
        inline = [lab for lab in inline if lab not in inside or lab[1] not in spoken_labels]
        cuts = ([start_label] if start_label else []) + inline
        if not cuts:
            parts.append((ls, le, None))
            continue
        if cuts[0][1] > ls:
            head_end = ls + len(said[ls:cuts[0][1]].rstrip())
            if head_end > ls:
                parts.append((ls, head_end, None))
        for k, lab in enumerate(cuts):
            start = ls if lab is start_label else lab[1]
            end = le if k + 1 == len(cuts) else start + len(said[start:cuts[k + 1][1]].rstrip())
            parts.append((start, end, lab))
    any_label = any(lab for _, _, lab in parts)
    speakers: list[str] = []
    canonical: dict[str, str] = {}
    lines: list[Line] = []
    tokens: list[Token] = []
    speaker: str | None = None
    seen_label = False
    for li, (ls, le, lab) in enumerate(parts):
        label_span = None
        body_start = ls
        if lab is not None:
            name, ns, ce, ts = lab
            key = _fold(name)
            if key not in canonical:
                canonical[key] = name
                speakers.append(name)
            speaker = canonical[key]
            seen_label = True
            label_span = (ns, ce)
            body_start = ts
        header = any_label and not seen_label
        line_speaker = speaker if seen_label else None
        lines.append(Line(index=li, char_start=ls, char_end=le, speaker=line_speaker,
                          label=label_span, header=header))
        # chunks of the line body
        chunks = [(body_start + m.start(), body_start + m.end())
                  for m in _CHUNK.finditer(said[body_start:le])]
        spans_out: list[list[int]] = []
        pending_start: int | None = None
        for cs, ce_ in chunks:
            # On a web page a chunk is judged as its reader sees it: "&raquo;" is "»", no word
            if _is_word(webpage.shown(page, cs, ce_) if page else text[cs:ce_]):
                spans_out.append([pending_start if pending_start is not None else cs, ce_])
                pending_start = None
            elif spans_out:
                spans_out[-1][1] = ce_
            elif pending_start is None:
                pending_start = cs
        for cs, ce_ in spans_out:
            tokens.append(Token(index=len(tokens), text=text[cs:ce_], char_start=cs, char_end=ce_,
                                norm=normalize.norm_token(said[cs:ce_], language),
                                speaker=line_speaker, line=li, header=header))
    return Transcript(text=text, encoding=encoding, language_hint=language, lines=lines,
                      tokens=tokens, speakers=speakers, said=said if said != text else "",
                      markup=page, label_candidates=candidates)
