"""Fake aligned episodes for the subtitle, format, output and review tests (no audio, no model).

``EpisodeBuilder`` writes a transcript text turn by turn and places each word on a fake clock, so
every ``Token`` span is exact (``text[char_start:char_end] == token.text``).
"""
from __future__ import annotations

import math
import struct
import unicodedata
import wave
from pathlib import Path

from aligner.types import Alignment, HeardWord, Line, Mismatch, TimedWord, Token, Transcript

LONG_WORD = "https://www.mondenumerique.info/kyutai-fondation-open-science-interview"
assert len(LONG_WORD) > 42


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in t if c.isalnum() or c == " ").strip()


class EpisodeBuilder:
    def __init__(self, start: float = 0.5):
        self.text = ""
        self.lines: list[Line] = []
        self.tokens: list[Token] = []
        self.words: list[TimedWord] = []
        self.speakers: list[str] = []
        self.t = start
        self.unspoken: list[tuple[int, int]] = []

    def _add_line(self, speaker: str | None, label_text: str | None, header: bool) -> tuple[int, tuple | None]:
        if self.text:
            self.text += "\n"
        line_start = len(self.text)
        label = None
        if label_text:
            self.text += label_text
            label = (line_start, len(self.text))
            self.text += " "
        return line_start, label

    def header(self, text: str) -> None:
        """An unspoken header line (before the first labelled turn)."""
        line_start, _ = self._add_line(None, None, True)
        idx = len(self.lines)
        for chunk in text.split(" "):
            self._token(chunk, None, idx, True, timed=False, reason="unspoken")
            self.text += " "
        self.text = self.text[:-1]
        self.lines.append(Line(idx, line_start, len(self.text), None, None, True))
        self.unspoken.append((line_start, len(self.text)))

    def turn(self, speaker: str, chunks: list, *, rate: float = 0.32, gap: float = 0.06,
             label_sep: str = " :") -> None:
        """``chunks``: word strings, or ("pause", seconds), or ("untimed", word, reason),
        or ("rate", seconds_per_word)."""
        if speaker not in self.speakers:
            self.speakers.append(speaker)
        line_start, label = self._add_line(speaker, speaker + label_sep, False)
        idx = len(self.lines)
        first = True
        for ch in chunks:
            if isinstance(ch, tuple) and ch[0] == "pause":
                self.t += ch[1]
                continue
            if isinstance(ch, tuple) and ch[0] == "rate":
                rate = ch[1]
                continue
            if not first:
                self.text += " "
            first = False
            if isinstance(ch, tuple) and ch[0] == "untimed":
                self._token(ch[1], speaker, idx, False, timed=False, reason=ch[2])
                continue
            dur = max(0.05, rate * min(2.5, 0.4 + len(ch) / 7)) if rate > 0.1 else rate
            self._token(ch, speaker, idx, False, timed=True, dur=dur)
            self.t += dur + gap
        self.lines.append(Line(idx, line_start, len(self.text), speaker, label, False))

    def _token(self, text, speaker, line, header, *, timed, dur=0.0, reason=None):
        cs = len(self.text)
        self.text += text
        tok = Token(len(self.tokens), text, cs, len(self.text), _norm(text), speaker, line, header)
        self.tokens.append(tok)
        if timed:
            w = TimedWord(tok, round(self.t, 3), round(self.t + dur, 3), 0.93, prob=0.8)
        else:
            w = TimedWord(tok, None, None, 0.0, reason=reason)
        self.words.append(w)
        return tok

    def find(self, text: str, nth: int = 0) -> TimedWord:
        hits = [w for w in self.words if w.token.text == text and w.reason != "unspoken"]
        return hits[nth]

    def alignment(self, *, mismatches=None, language="fr", cues=True, audio_path="episode.wav") -> Alignment:
        tr = Transcript(self.text, "utf-8", language, self.lines, self.tokens, self.speakers)
        heard = [HeardWord(w.token.text.lower(), w.start, w.end, 0.9, w.token.norm) for w in self.words if w.timed]
        timed_end = max((w.end for w in self.words if w.timed), default=0.0)
        al = Alignment(
            audio_path=audio_path,
            transcript_path="episode.txt",
            transcript=tr,
            language=language,
            duration=round(timed_end + 3.0, 3),
            words=self.words,
            heard=heard,
            mismatches=mismatches or [],
            unspoken=self.unspoken,
            model="fake-small",
            device="cpu",
            compute_type="int8",
            timings={"transcribe": 1.23456, "align": 0.5},
            matched_fraction=0.912345,
        )
        if cues:
            from aligner.cues import build_cues

            al.cues = build_cues(self.words, language=language, duration=al.duration)
        return al


MONOLOGUE = (
    "Alors KYUTAI c'est une équipe qui a vocation à travailler sur de la recherche fondamentale en "
    "intelligence artificielle et qui s'est donnée comme mission de partager l'intégralité de ses "
    "travaux en open source et même plus loin en open science. Ils veulent vraiment "
    "publier les méthodes et les modèles pour que l'écosystème "
    "puisse s'en nourrir, et puis développer plus d'usages."
).split()
assert len(MONOLOGUE) == 60, len(MONOLOGUE)

FAST = ("Donc voilà on va vraiment très vite parce qu'on a beaucoup de choses à dire et peu de "
        "temps pour les dire alors on accélère encore un peu plus").split()


def episode_builder() -> EpisodeBuilder:
    b = EpisodeBuilder()
    b.header("Qu'est-ce que Kyutai ? Interview d'Aude Durand.")
    b.turn("Monde Numérique", [
        "Bonjour", "Aude", "Durand.", "Vous", "êtes", "directrice", "générale", "adjointe", "du",
        "groupe", "Iliad,", "responsable", "de", "l'intelligence", "artificielle.", ("pause", 0.5),
        "Mais", "qu'est-ce", "que", "c'est", "que", "Kyutai", "exactement ?",
    ])
    b.t += 0.4
    mono = list(MONOLOGUE)
    mono.insert(30, ("pause", 2.6))  # a long silence in the middle of a sentence
    b.turn("Aude Durand", mono)
    b.t += 0.3
    b.turn("Monde Numérique", ["Et", "l'adresse", "?", ("untimed", "«", "omitted"), "C'est", LONG_WORD,
                               ("untimed", "»", "omitted"), "voilà", ("untimed", "!", "unaligned")])
    b.t += 0.2
    b.turn("Aude Durand", [("rate", 0.07)] + FAST, gap=0.0)
    b.t += 0.5
    b.turn("Monde Numérique", ["Merci", "&", "<à", "bientôt>", "!"])
    return b


def episode(**kw) -> Alignment:
    b = episode_builder()
    w_rob = b.find("Iliad,")
    w_kyu = b.find("Kyutai")
    mism = [
        Mismatch("substitution", "name", w_kyu.start, w_kyu.end, w_kyu.token.char_start, w_kyu.token.char_end,
                 "Kyutai", "Kyuta", 0.87, "que c'est que Kyutai exactement"),
        Mismatch("omission", "word", w_rob.start, w_rob.end, w_rob.token.char_start, w_rob.token.char_end,
                 "Iliad,", "", 0.61, "du groupe Iliad, responsable", {"pmi": -1.2}),
        Mismatch("insertion", "word", 5.0, 5.4, None, None, "", "euh <bon> & co", 0.55, "générale adjointe"),
    ]
    return b.alignment(mismatches=mism, **kw)


def write_wav(path: Path, seconds: float = 4.0, rate: int = 8000, freq: float = 440.0) -> Path:
    """A few seconds of a quiet tone, 16-bit mono (stdlib ``wave``)."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path
