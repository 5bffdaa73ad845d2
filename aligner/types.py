"""Typed records passed between the pipeline's stages.

Data flows one way: audio + transcript text -> ``Transcript`` and ``HeardWord`` lists ->
``TimedWord`` list -> ``Mismatch`` list and ``Cue`` list -> files.  Every stage takes and returns
these plain dataclasses, so each one can be tested alone.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Token:
    """One published word: a whitespace-separated chunk of the transcript, speaker labels removed.

    ``text`` is exactly ``transcript.text[char_start:char_end]`` (punctuation kept: it is what the
    subtitles show).  ``norm`` is the form used for matching (see ``normalize.norm_token``): lower
    case, no accents or punctuation, numbers spelled as words, mojibake repaired; it may hold
    several space-separated words ("300" -> "trois cents") or be empty (a lone "?" or emoji).
    """

    index: int
    text: str
    char_start: int
    char_end: int
    norm: str
    speaker: str | None
    line: int  # index into Transcript.lines
    header: bool  # before the first labelled turn: a candidate for unspoken header text


@dataclass(frozen=True)
class Line:
    """One non-empty line (paragraph) of the transcript."""

    index: int
    char_start: int
    char_end: int  # end of the line's text, newline excluded
    speaker: str | None
    label: tuple[int, int] | None  # char span of "Name :" when the line starts a labelled turn
    header: bool


@dataclass(frozen=True)
class LabelCandidate:
    """A label-like pattern inside a line whose line breaks were lost ("... Lecteur 2 : ..."):
    a turn starts there unless the audio holds its words (``plan.settle_inline_labels``).
    Offsets index ``Transcript.text``."""

    name: str
    name_start: int
    colon_end: int  # end of "Name :"
    text_start: int  # where the turn's words start
    turn: bool  # taken as a turn start (its words not said); False: read as spoken text


@dataclass
class Transcript:
    text: str  # decoded, BOM removed, newlines as in the file
    encoding: str
    language_hint: str | None
    lines: list[Line]
    tokens: list[Token]
    speakers: list[str]  # in order of first appearance
    # ``text`` with what is not meant to be said (time stamps, "[Musique]", "(rires)") blanked
    # out, same offsets (see nonspeech.mask); empty when nothing was masked.
    said: str = ""
    # A web page's ``text`` with its markup blanked, same offsets (see webpage.markup_free);
    # empty for a text file.  What outputs show of the page is read through it (``shown``).
    markup: str = ""
    # Label-like patterns inside lines that lost their line breaks, each a turn start or spoken
    # text (``LabelCandidate.turn``); the audio decides which (``plan.settle_inline_labels``).
    label_candidates: list[LabelCandidate] = field(default_factory=list)

    def shown(self, a: int, b: int) -> str:
        """The published text between offsets ``a`` and ``b`` as a reader sees it: for a web
        page without markup and with character references read; for a text file, as written."""
        if not self.markup:
            return self.text[a:b]
        piece = self.markup[a:b]
        return html.unescape(piece) if "&" in piece else piece

    def spoken_text(self, token: Token) -> str:
        """What of ``token`` is said: its text without sound notes glued to it ("tous (rires)."
        -> "tous."), for alignment and comparison; ``token.text`` is what subtitles show."""
        out = ""
        said = (self.said or self.text)[token.char_start:token.char_end]
        if "&" in said:  # a character reference of a web page ("l&#39;accident")
            said = html.unescape(said)
        if "\u00c3\u00a0" in said:  # "à" read as cp1252 ("Ã" + no-break space): repaired
            said = said.replace("\u00c3\u00a0", "\u00e0")  # before the split eats its space
        for piece in said.split():
            glue = out and not any(c.isalnum() for c in piece)  # punctuation stays on its word
            out += piece if glue or not out else " " + piece
        return out


@dataclass(frozen=True)
class HeardWord:
    """A word recognised by Whisper: evidence, never output."""

    text: str
    start: float
    end: float
    probability: float
    norm: str


@dataclass
class TimedWord:
    """A published word placed on the audio.  ``start``/``end`` are None when it could not be
    placed, with ``reason`` saying why ("unspoken", "omitted", "unaligned")."""

    token: Token
    start: float | None
    end: float | None
    confidence: float  # how sure the time is right, 0..1
    prob: float | None = None  # mean token probability of the published word under the audio
    min_logprob: float | None = None  # lowest log10 token probability
    pmi: float | None = None  # log10 P(word | audio) - log10 P(word | silence), per token mean
    heard: str | None = None  # what recognition heard at this place, when it differs
    reason: str | None = None
    agreed: bool = False  # recognition heard this very word (spelling aside)

    @property
    def timed(self) -> bool:
        return self.start is not None


@dataclass
class Mismatch:
    kind: str  # substitution | omission | insertion
    category: str  # name | number | word | sentence | segment
    start: float | None
    end: float | None
    char_start: int | None  # None for insertions
    char_end: int | None
    transcript_text: str
    heard_text: str
    confidence: float
    context: str = ""
    evidence: dict = field(default_factory=dict)
    suggestion: str | None = None  # the spelling to check against (a known name), if any


@dataclass
class Cue:
    start: float
    end: float
    speaker: str | None
    text: str  # may contain one "\n" (two lines)
    words: list[TimedWord] = field(default_factory=list)


@dataclass
class Alignment:
    """Everything the writers need: the result of ``pipeline.align``."""

    audio_path: str
    transcript_path: str
    transcript: Transcript
    language: str
    duration: float
    words: list[TimedWord]
    heard: list[HeardWord]
    mismatches: list[Mismatch]
    unspoken: list[tuple[int, int]]
    cues: list[Cue] = field(default_factory=list)
    model: str = ""
    device: str = ""
    compute_type: str = ""
    timings: dict = field(default_factory=dict)
    matched_fraction: float = 0.0
    warnings: list = field(default_factory=list)  # damage.RunWarning: results given, but partly
    # sha256 of the transcript's and the audio's bytes as read (set by ``episode``): the JSON
    # records the first so that ``podalign apply`` and DECISIONS.json can refuse another text;
    # the review page keys its saved decisions by both.
    transcript_sha256: str = ""
    audio_sha256: str = ""
