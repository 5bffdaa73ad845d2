"""Matching forms of words: compare what was published with what was heard.

Normalisation here only removes differences of *writing* (case, accents, punctuation, hyphens,
elisions, joined/split words, digits vs number words, repairable mojibake).  It must never hide a
real difference: "dix-huit" stays different from "dix-sept", "un zéro zéro zéro" from "mille".
The published text itself is never changed: these forms are for comparison only.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

import ftfy

try:  # optional second check for number words -> digits
    from text_to_num import alpha2digit as _text2num_alpha2digit
except Exception:  # pragma: no cover - the package is a dependency, but stay usable without it
    _text2num_alpha2digit = None

from num2words import CONVERTER_CLASSES as _N2W_LANGS
from num2words import num2words as _num2words

__all__ = [
    "norm_token",
    "norm_text",
    "spell_numbers",
    "compact",
    "same_words",
    "category",
    "is_function_word",
    "number_words",
    "has_number",
    "base_language",
    "text_language",
    "text_languages",
]

# Letters that NFKD does not decompose into base + combining mark.
_SPECIAL = str.maketrans({
    "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o",
    "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
})
# Apostrophes and hyphens/dashes/slashes: word separators, become spaces.
_SEPARATORS = "'’‘ʼ`´′-‐‑‒–—―−/\\_"
_SEP_RE = re.compile("[" + re.escape(_SEPARATORS) + "]")
# Spaces used inside numbers ("1 000", "1\u202f000").
_NUM_SPACE = " \u00a0\u202f\u2009"

_SYMBOL_WORDS = {
    "%": {"fr": "pour cent", "en": "percent", "de": "prozent", "es": "por ciento",
          "it": "per cento", "pt": "por cento", "nl": "procent"},
    "‰": {"fr": "pour mille", "en": "per mille"},
    "€": {"fr": "euros", "en": "euros", "de": "euro", "es": "euros", "it": "euro",
          "pt": "euros", "nl": "euro"},
    "$": {"fr": "dollars", "en": "dollars", "de": "dollar", "es": "dólares", "it": "dollari",
          "pt": "dólares", "nl": "dollar"},
    "£": {"fr": "livres", "en": "pounds"},
    "&": {"fr": "et", "en": "and", "de": "und", "es": "y", "it": "e", "pt": "e", "nl": "en"},
    "+": {"fr": "plus", "en": "plus"},
}

# Ordinal suffixes written after digits, per language.
_ORDINAL_RE = {
    "fr": re.compile(r"^(\d+)(?:er|ère|ere|re|e|è|ème|eme|nd|nde|d|de)$", re.I),
    "en": re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.I),
    "de": re.compile(r"^(\d+)\.$"),
    "es": re.compile(r"^(\d+)(?:º|ª|o|a|er)$", re.I),
    "it": re.compile(r"^(\d+)(?:º|ª|o|a)$", re.I),
    "pt": re.compile(r"^(\d+)(?:º|ª|o|a)$", re.I),
    "nl": re.compile(r"^(\d+)(?:e|ste|de)$", re.I),
}

# Languages that write the decimal with a comma and group thousands with "." or a space.
_DECIMAL_POINT_LANGS = {"en", "ja", "ko", "th", "he", "zh", "hi", "te", "kn", "bn"}


def base_language(language: str | None) -> str | None:
    """'fr-FR' / 'fr_CA' / 'FR' -> 'fr'; None stays None."""
    if not language:
        return None
    return re.split(r"[-_]", language.strip().lower())[0] or None


def _n2w_lang(language: str | None) -> str:
    lang = base_language(language)
    return lang if lang in _N2W_LANGS else "en"


@functools.lru_cache(maxsize=8192)
def _say_number(value: str, lang: str, ordinal: bool = False) -> str:
    """Digits (possibly with a '.' decimal) -> words, via num2words; "" on failure."""
    try:
        if ordinal:
            return _num2words(int(value), lang=lang, to="ordinal")
        if "." in value:
            return _num2words(Decimal(value), lang=lang)
        return _num2words(int(value), lang=lang)
    except (NotImplementedError, OverflowError, ValueError, InvalidOperation, TypeError,
            IndexError, KeyError, AttributeError, ZeroDivisionError):
        try:  # e.g. decimals unsupported in that language: say the digits one by one
            return " ".join(_num2words(int(d), lang=lang) for d in value if d.isdigit())
        except Exception:
            return value


def _number_value(s: str, lang: str) -> str | None:
    """A written number ("300", "1,5", "1.000", "10,000", "1 000") -> canonical digits
    ("1.5", "1000"), or None when ``s`` is not one number."""
    s = s.strip(_NUM_SPACE)
    if not s or not s[0].isdigit() or not s[-1].isdigit():
        return None
    if re.fullmatch(r"\d+", s):
        return s
    if re.fullmatch(r"\d{1,3}(?:[" + _NUM_SPACE + r"]\d{3})+", s):
        return re.sub("[" + _NUM_SPACE + "]", "", s)
    point_lang = lang in _DECIMAL_POINT_LANGS
    group, dec = (",", ".") if point_lang else (".", ",")
    m = re.fullmatch(r"\d{1,3}(?:" + re.escape(group) + r"\d{3})+", s)
    if m:
        return s.replace(group, "")
    m = re.fullmatch(r"(\d+)[.,](\d+)", s)
    if m:
        # "1,5" in French, "1.5" in English, and the other mark too when it cannot be a
        # thousands separator (not exactly three digits after it).
        if s[len(m.group(1))] == dec or len(m.group(2)) != 3:
            return f"{m.group(1)}.{m.group(2)}"
    return None


_DIGITS_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _spell_chunk(chunk: str, lang: str) -> str:
    """Spell the numbers inside one whitespace-free chunk; other characters kept."""
    if not any(c.isdigit() for c in chunk):
        return chunk
    core = chunk.strip(".,;:!?…()[]{}«»\"“”'’")
    lead = chunk[: chunk.find(core)] if core else chunk
    trail = chunk[len(lead) + len(core):]
    ordre = _ORDINAL_RE.get(lang)
    if core and ordre is not None:
        m = ordre.match(core)
        if m:
            return lead + _say_number(m.group(1), lang, ordinal=True) + trail
    if core and lang == "fr":  # 10h30 -> dix heures trente
        m = re.fullmatch(r"(\d{1,2})[hH](\d{2})?", core)
        if m:
            words = _say_number(m.group(1), lang) + " heures"
            if m.group(2):
                words += " " + _say_number(str(int(m.group(2))), lang)
            return lead + words + trail
    val = _number_value(core, lang) if core else None
    if val is not None:
        return lead + _say_number(val, lang) + trail

    def repl(m: re.Match) -> str:
        v = _number_value(m.group(0), lang)
        if v is None:  # "6.6.6", "1,2,3": the parts one by one
            return " ".join(_say_number(p, lang) for p in re.split(r"[.,]", m.group(0)))
        return " " + _say_number(v, lang) + " "

    return _DIGITS_RE.sub(repl, core).strip().join([lead, trail]) if core else chunk


def spell_numbers(text: str, language: str | None = None) -> str:
    """Replace numbers written in digits by words in ``language`` (num2words; 'en' when the
    language is unknown or unsupported), keep everything else as written (accents, case,
    punctuation).  Numbers grouped with spaces ("1 000 000") are read as one number.
    "%"/"€"/"$" after a number become words.  Used for matching and for phonemes."""
    lang = _n2w_lang(language)
    # Join thousands groups written with spaces: "1 000" -> "1000" (only 3-digit groups).
    text = re.sub(r"(?<![\d.,])\d{1,3}(?:[" + _NUM_SPACE + r"]\d{3})+(?![\d]|[.,]\d)",
                  lambda m: re.sub("[" + _NUM_SPACE + "]", "", m.group(0)), text)
    # Number ranges / scores with a hyphen: "6-6" -> "6 6".
    text = re.sub(r"(?<=\d)[-‐‑–—](?=\d)", " ", text)
    # Symbols after (or before) numbers.
    def sym(m: re.Match) -> str:
        words = _SYMBOL_WORDS[m.group(2)]
        return f"{m.group(1)} {words.get(lang, words['en'])}"
    text = re.sub(r"(\d)[" + _NUM_SPACE + r"]?([%‰€$£])", sym, text)
    text = re.sub(r"([$£€])[" + _NUM_SPACE + r"]?(\d[\d.,]*)",
                  lambda m: f"{m.group(2)} {_SYMBOL_WORDS[m.group(1)].get(lang, _SYMBOL_WORDS[m.group(1)]['en'])}",
                  text)
    parts = re.split(r"(\s+)", text)
    return "".join(p if (not p or p.isspace()) else _spell_chunk(p, lang) for p in parts)


def _strip_accents(s: str) -> str:
    s = s.translate(_SPECIAL)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.translate(_SPECIAL)


def _clean(s: str) -> str:
    """Lower case, no accents, separators -> spaces, other punctuation removed."""
    s = _strip_accents(s.lower())
    s = _SEP_RE.sub(" ", s)
    s = re.sub(r"(?<=\w)\.(?=\w)", "", s)  # U.S.A -> USA
    out = []
    for c in s:
        if c.isalnum():
            out.append(c)
        elif c.isspace():
            out.append(" ")
        else:
            cat = unicodedata.category(c)
            # punctuation, symbols, emoji, marks: word boundaries
            out.append(" " if cat[0] in "PSZC" else c)
    return " ".join("".join(out).split())


def _symbols_to_words(s: str, lang: str) -> str:
    def repl(m: re.Match) -> str:
        words = _SYMBOL_WORDS[m.group(0)]
        return f" {words.get(lang, words['en'])} "
    return re.sub(r"(?<=\s)[%&+](?=\s)|^[%&+]$", repl, s)


@functools.lru_cache(maxsize=65536)
def norm_token(text: str, language: str | None = None) -> str:
    """The matching form of a published or heard word (or short text).

    Mojibake repaired with ftfy, lower case, accents removed (and œ->oe, æ->ae, ß->ss...),
    apostrophes and hyphens -> spaces ("c'est-à-dire" -> "c est a dire"), other punctuation
    removed, numbers in digits spelled in ``language`` ("300" -> "trois cents", "6-6" -> "six six",
    "1er" -> "premier", "3rd" -> "third", "50%" -> "cinquante pour cent").  Words are separated
    by single spaces; "" when nothing is left (a lone "?" or emoji).
    """
    if not text:
        return ""
    lang = _n2w_lang(language)
    s = ftfy.fix_text(text)
    s = _symbols_to_words(s, lang)
    s = spell_numbers(s, lang)
    s = _clean(s)
    if any(c.isdigit() for c in s):  # digits glued to letters: "4G", "GPT4"
        s = re.sub(r"(?<=[^\W\d])(?=\d)|(?<=\d)(?=[^\W\d])", " ", s)
        s = _clean(spell_numbers(s, lang))
    return s


def norm_text(text: str, language: str | None = None) -> str:
    """``norm_token`` over a whole text, keeping numbers grouped with spaces as one number
    ("1 000 euros" -> "mille euros")."""
    lang = _n2w_lang(language)
    text = spell_numbers(ftfy.fix_text(text), lang)
    return " ".join(w for w in (norm_token(c, language) for c in text.split()) if w)


def compact(s: str) -> str:
    """Remove spaces so joined and split words compare equal ("deep mind" == "deepmind")."""
    return "".join(s.split())


def _plain_words(s: str, language: str | None) -> list[str]:
    """Lower case, no accents, separators -> spaces, no number spelling."""
    return _clean(ftfy.fix_text(s)).split()


def _alpha2digit(s: str, language: str | None) -> str | None:
    lang = base_language(language) or "en"
    if _text2num_alpha2digit is None:
        return None
    try:
        return _text2num_alpha2digit(s, lang)
    except Exception:  # unsupported language or parse error
        return None


_VALUE = re.compile(r"\d+(?:[.,]\d+)?")


def number_values(text: str, language: str | None = None) -> frozenset[str]:
    """The numbers ``text`` holds, as digit strings, whether written in digits or in words
    that text2num reads ("dix-huit" -> {"18"}, "1,6 et 17" -> {"1,6", "17"}); a lone small
    number word that text2num leaves as a word ("one", "deux") is not counted."""
    return frozenset(_VALUE.findall(_alpha2digit(text, language) or text))


_YEAR_LIKE = re.compile(r"(?<![\d.,])(1[1-9]\d\d|2\d\d\d)(?![\d.,]\d)")


def _year_reading(text: str, language: str | None) -> str | None:
    """``text`` with each four-digit number read the way years are ("2250" -> "twenty-two
    fifty", "1963" -> "neunzehnhundertdreiundsechzig"), or None when it holds none: a second
    reading of the same value, never another value."""
    if not _YEAR_LIKE.search(text):
        return None
    lang = _n2w_lang(language)
    try:
        return _YEAR_LIKE.sub(lambda m: " " + _num2words(int(m.group(1)), lang=lang, to="year") + " ",
                              text)
    except Exception:  # a language num2words cannot read years in
        return None


def year_values(text: str, language: str | None = None) -> frozenset[str]:
    """The values ``text``'s four-digit numbers hold when read as years are read ("1465" ->
    "fourteen sixty-five" -> {"14", "65"}): what number words of the same year give, so that
    "fourteen sixty-five" heard "1465" is the same value (ljspeech-en-1's clean transcript was
    flagged there)."""
    reading = _year_reading(text, language)
    return number_values(reading, language) if reading is not None else frozenset()


def shared_value(published: str, heard: str, language: str | None = None) -> bool:
    """Whether a value the published words hold is heard, in digits, in words or as a year read
    out ("1465" and "fourteen sixty-five")."""
    pv, hv = number_values(published, language), number_values(heard, language)
    return bool(pv & hv or pv & year_values(heard, language) or year_values(published, language) & hv)


def same_words(published: str, heard: str, language: str | None = None) -> bool:
    """True when ``published`` and ``heard`` differ only in writing: case, accents, punctuation,
    hyphens, elisions, joined/split words, digits vs number words ("300 millions" ==
    "trois cents millions", "17" == "dix-sept", "Est ce que" == "Est-ce que").  Different values
    stay different ("un zéro zéro zéro" != "mille", "dix-huit" != "dix-sept")."""
    a = norm_text(published, language)
    b = norm_text(heard, language)
    if compact(a) == compact(b):
        return True
    # A four-digit number read as a year is the same value ("twenty-two fifty" == "2250").
    ya, yb = _year_reading(published, language), _year_reading(heard, language)
    if (ya is not None and compact(norm_text(ya, language)) == compact(b)) or \
            (yb is not None and compact(norm_text(yb, language)) == compact(a)):
        return True
    # Second check: number words -> digits on both sides (text2num), word by word, without
    # joining words (so "1 000" from "un zéro zéro zéro" never equals "1000").
    da = _alpha2digit(ftfy.fix_text(published), language)
    db = _alpha2digit(ftfy.fix_text(heard), language)
    if da is None or db is None or (da == published and db == heard):
        return False
    wa, wb = _plain_words(da, language), _plain_words(db, language)
    if wa == wb:
        return True
    # Joined/split words that are not digits may still differ in spacing.
    if any(w.isdigit() for w in wa + wb):
        digits_a = [w for w in wa if w.isdigit()]
        digits_b = [w for w in wb if w.isdigit()]
        if digits_a != digits_b:
            return False
        return compact(" ".join(wa)) == compact(" ".join(wb))
    return False


# ---------------------------------------------------------------------------------------------
# Number words, names, function words

_SCALE_WORDS = {
    "fr": {"cent", "cents", "mille", "milles", "million", "millions", "milliard", "milliards",
           "billion", "billions", "zero", "demi", "demie", "virgule", "moitie", "douzaine",
           "centaine", "centaines", "dizaine", "dizaines", "millier", "milliers", "pour"},
    "en": {"hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion",
           "billions", "trillion", "zero", "half", "dozen", "point", "oh"},
}
# Number words that are also common words: count only next to another number word.
_AMBIGUOUS_NUMBER_WORDS = {
    "fr": {"un", "une", "neuf", "et", "pour", "virgule"},
    "en": {"one", "a", "and", "point", "oh", "half"},
    "de": {"ein", "eine", "und"},
    "es": {"un", "una", "uno", "y"},
    "it": {"un", "una", "uno", "e"},
    "pt": {"um", "uma", "e"},
    "nl": {"een", "en"},
}


@functools.lru_cache(maxsize=64)
def number_words(language: str | None) -> frozenset[str]:
    """Normalised words used to say numbers in ``language``: num2words of 0..100, ordinals of
    1..20, and scale words (hundred, thousand, million...)."""
    lang = _n2w_lang(language)
    words: set[str] = set()
    for n in list(range(0, 101)) + [200, 1000, 10**6, 10**9]:
        words.update(_clean(_say_number(str(n), lang)).split())
    for n in range(1, 21):
        words.update(_clean(_say_number(str(n), lang, ordinal=True)).split())
    words.update(_SCALE_WORDS.get(lang, set()))
    return frozenset(w for w in words if w and not w.isdigit())


def has_number(text: str, language: str | None) -> bool:
    if any(c.isdigit() for c in text):
        return True
    lang = _n2w_lang(language)
    nums = number_words(lang)
    ambiguous = _AMBIGUOUS_NUMBER_WORDS.get(lang, set())
    words = _plain_words(text, lang)
    hits = [w for w in words if w in nums]
    if any(w not in ambiguous for w in hits):
        return True
    return False


_SENTENCE_END = ".!?…:;«\"“—–\n\r"


def bare_word(chunk: str) -> str:
    """A whitespace-separated chunk without the punctuation, quotes, brackets and dashes around
    it ("(Iliad)," -> "Iliad")."""
    return chunk.strip(".,;:!?…()[]{}«»\"“”'’-—")


def name_like(text: str, before: str | None) -> bool:
    """A capitalised word not at sentence start, an all-caps acronym, or inner capitals."""
    chunks = text.split()
    prev = (before or "").rstrip()
    for i, chunk in enumerate(chunks):
        word = bare_word(chunk)
        letters = [c for c in word if c.isalpha()]
        if not letters:
            prev = chunk
            continue
        initial = (i == 0 and (before is None or not prev or prev[-1] in _SENTENCE_END)) or (
            i > 0 and chunks[i - 1].rstrip()[-1:] in _SENTENCE_END)
        upper = [c.isupper() for c in letters]
        if len(letters) >= 2 and all(upper):
            return True  # acronym: IA, CMA-CGM, USOC
        if any(upper[1:]) and not all(upper):
            return True  # DeepMind, iPhone, McCarthy
        if upper[0] and not initial:
            return True
        prev = chunk
    return False


def category(published: str, heard: str, language: str | None = None, *,
             published_before: str | None = None, heard_before: str | None = None) -> str:
    """What kind of difference this is, for people reading the report: "number" when either
    side holds a number (digits or number words of the language), "name" when either side has a
    capitalised word not at sentence start, an acronym or inner capitals (recognition
    capitalises names, so an all-lower-case published text can still be a name), else "word".

    ``published_before``/``heard_before`` are the texts just before each side (a few words
    are enough) to tell whether the first word starts a sentence; when None, the first word is
    taken as sentence-initial (its capital proves nothing).
    """
    if has_number(published, language) or has_number(heard, language):
        return "number"
    if name_like(published, published_before) or name_like(heard, heard_before):
        return "name"
    return "word"


_FUNCTION_WORDS = {
    "fr": set("""
        le la les l un une des du de d au aux a à et ou ni mais donc or car que qu qui quoi
        dont ou où ce cet cette ces c ca ça se s sa son ses mon ma mes ton ta tes notre nos votre
        vos leur leurs je j tu il elle on nous vous ils elles me m te t lui y en eux moi toi soi
        ne n pas plus est es suis sont sommes etes êtes etait était ete été etre être ai as avons
        avez ont avait avoir fait faire va vais vont dans sur sous par pour avec sans chez vers
        entre comme si aussi tres très bien alors puis tout tous toute toutes meme même
        quand dont lorsque parce cela ceci celui celle ceux celles oui non voila voilà bon ben
        euh hum hein ah oh quel quelle quels quelles peu""".split()),
    "en": set("""
        the a an and or but nor so yet of to in on at by for with from into onto about as than
        that this these those there here it its he she they them his her their our your my me
        we you i him us is are was were be been being am do does did have has had will would
        shall should can could may might must not no if then also very just uh um oh well
        which who whom whose what when where why how all any some""".split()),
}


@functools.lru_cache(maxsize=None)
def _function_words(lang: str) -> frozenset[str]:
    """French and English: the short lists above (the stop-words package's English list has
    1,333 entries, "able" and "according" among them, which would hide content words).  Any
    other language: the stop-words package's list, normalised; none when it has no list."""
    if lang in _FUNCTION_WORDS:
        return frozenset(_FUNCTION_WORDS[lang])
    from stop_words import StopWordError, get_stop_words

    try:
        words = get_stop_words(lang)
    except StopWordError:
        return frozenset()
    return frozenset(w.lower() for w in words) | frozenset(_clean(w.lower()) for w in words)


TEXT_LANGUAGE_MIN = 0.2  # share of words that must be function words of the language found
TEXT_LANGUAGE_SURE = 1.8  # ... that many times those of any other: the audio is not asked


@functools.lru_cache(maxsize=None)
def _language_lists() -> dict[str, frozenset[str]]:
    """Function words by Whisper's language code, for every language the stop-words package
    knows (Norwegian "nb" there is "no" in Whisper)."""
    from stop_words import LANGUAGE_MAPPING

    return {("no" if code == "nb" else code): _function_words(code) for code in LANGUAGE_MAPPING}


def text_languages(texts: list[str]) -> list[tuple[float, str]]:
    """(share of the words that are function words of a language, language), best first, for a
    text given as its words as written.  Numbers are left out: spelling them needs the language."""
    words = [w for t in texts for w in _clean(t.lower()).split() if not any(c.isdigit() for c in w)]
    if len(words) < 5:
        return []
    return sorted(((sum(1 for w in words if w in s) / len(words), lang)
                   for lang, s in _language_lists().items()), reverse=True)


def text_language(texts: list[str], from_audio=None) -> str | None:
    """The language of a transcript, from its function words.  A published transcript says its
    language more reliably than the audio's first seconds, which may be music or an ad in
    another language.  Where close languages score alike (Spanish, Portuguese and Catalan in a
    short text), ``from_audio()`` decides among them; with no text to go by, the audio's
    language (None without ``from_audio``)."""
    scores = text_languages(texts)
    if not scores or scores[0][0] < TEXT_LANGUAGE_MIN:
        return from_audio() if from_audio else None
    best, lang = scores[0]
    close = [code for score, code in scores if score * TEXT_LANGUAGE_SURE > best]
    if len(close) == 1 or from_audio is None:
        return lang
    heard = from_audio()
    return heard if heard in close else lang


def is_function_word(norm_word: str, language: str | None) -> bool:
    """True for articles, prepositions, conjunctions, pronouns, auxiliaries and fillers of
    ``language`` (no language: English).  ``norm_word`` may be raw or normalised."""
    words = _function_words(base_language(language) or "en")
    w = norm_word.strip().lower()
    if w in words:
        return True
    w2 = _clean(w)
    return w2 in words or (bool(w2) and all(p in words for p in w2.split()))
