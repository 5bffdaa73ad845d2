"""Sound-alike comparison: do two texts sound the same (a recognition slip) or not (a real error)?

Phonemes come from the espeak-ng shared library shipped by the ``espeakng-loader`` package,
called through ctypes (no subprocess, no system espeak needed).  If the library cannot be
loaded, ``phonemes`` falls back to a crude letter-based key (see ``_letter_key``) and never
raises; ``backend()`` says which one is in use.
"""
from __future__ import annotations

import ctypes
import functools
import logging
import re
import threading
import unicodedata

from rapidfuzz.distance import Levenshtein

from . import normalize

__all__ = ["phonemes", "sound_similarity", "sound_key", "backend", "espeak_voice"]

log = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02  # bit 1 of phonememode: IPA as UTF-8; no separator character

# Language code -> espeak-ng voice name.
_VOICES = {
    "en": "en-us", "fr": "fr", "de": "de", "es": "es", "it": "it", "pt": "pt",
    "nl": "nl", "pl": "pl", "ru": "ru", "sv": "sv", "da": "da", "no": "nb", "nb": "nb",
    "fi": "fi", "cs": "cs", "sk": "sk", "ro": "ro", "hu": "hu", "el": "el", "tr": "tr",
    "ca": "ca", "eu": "eu", "gl": "gl", "uk": "uk", "bg": "bg", "hr": "hr", "sr": "sr",
    "sl": "sl", "lt": "lt", "lv": "lv", "et": "et", "is": "is", "ga": "ga", "cy": "cy",
    "ar": "ar", "he": "he", "fa": "fa", "hi": "hi", "bn": "bn", "ta": "ta", "te": "te",
    "ur": "ur", "id": "id", "ms": "ms", "vi": "vi", "th": "th", "zh": "cmn", "ja": "ja",
    "ko": "ko", "sw": "sw", "af": "af", "eo": "eo", "la": "la",
}
_FULL_VOICES = {"pt-br": "pt-br", "pt_br": "pt-br", "en-gb": "en", "en_gb": "en",
                "fr-be": "fr-be", "fr_be": "fr-be", "fr-ch": "fr-ch", "fr_ch": "fr-ch",
                "es-419": "es-419"}

# Characters that carry no segment: stress, length, syllable and tie marks, separators.
_DROP = set("ˈˌːˑ‿͜͡.|‖-_ '") | {"\u0361", "\u035c"}


_SWITCH_RE = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)*\)", re.I)


class _Espeak:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lib = None
        self.voice: str | None = None
        self.failed = False

    def _load(self) -> None:
        import espeakng_loader  # noqa: PLC0415 - optional at import time

        lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed ({rate})")
        self.lib = lib

    def available(self) -> bool:
        with self.lock:
            if self.lib is None and not self.failed:
                try:
                    self._load()
                except Exception as exc:  # missing package, library or data
                    log.warning("espeak-ng unavailable, using a letter-based sound key: %s", exc)
                    self.failed = True
            return self.lib is not None

    def to_ipa(self, text: str, voice: str) -> str | None:
        if not self.available():
            return None
        with self.lock:
            lib = self.lib
            if voice != self.voice:
                # voice names are espeak-ng-data/lang file names, matched case-insensitively
                if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    base = voice.split("-")[0].encode()
                    if (lib.espeak_SetVoiceByName(base) != 0
                            and lib.espeak_SetVoiceByName(b"en-us") != 0):
                        return None
                self.voice = voice
            buf = ctypes.c_char_p(text.encode("utf-8"))
            ptr = ctypes.pointer(buf)
            out = []
            for _ in range(10000):  # one clause per call; the pointer becomes NULL at the end
                if not buf.value:
                    break
                res = lib.espeak_TextToPhonemes(ptr, _ESPEAK_CHARS_UTF8, _PHONEMES_IPA)
                if res:
                    out.append(res.decode("utf-8", "replace"))
            ipa = " ".join(p.strip() for p in out if p.strip())
            # language-switch markers such as "(en)" ... "(fr)" around foreign words
            return " ".join(_SWITCH_RE.sub(" ", ipa).split())


_ESPEAK = _Espeak()


def backend() -> str:
    """"espeak-ng" or "letters" (the fallback when the library cannot be loaded)."""
    return "espeak-ng" if _ESPEAK.available() else "letters"


def espeak_voice(language: str | None) -> str:
    """espeak-ng voice for a language code ("fr" -> "fr", "en" -> "en-us"); unknown -> "en-us"."""
    if not language:
        return "en-us"
    code = language.strip().lower()
    if code in _FULL_VOICES:
        return _FULL_VOICES[code]
    return _VOICES.get(normalize.base_language(code) or "", "en-us")


def _letter_key(text: str) -> str:
    """Fallback sound key without espeak: normalised letters with a few spelling-to-sound
    rewrites common to French and English (ph->f, silent h, doubled letters, c/k/q, final
    silent letters...).  Crude, but keeps "Barreau"/"Barrot" closer than "sud"/"nord"."""
    s = normalize.norm_token(text)
    words = []
    for w in s.split():
        w = re.sub(r"ph", "f", w)
        w = re.sub(r"(?<=[^sc])h|^h", "", w)
        w = re.sub(r"eaux?|aux?|au", "o", w)
        w = re.sub(r"qu|q|ck|c(?=[aou])|k", "k", w)
        w = re.sub(r"c(?=[eiy])|ss|z$", "s", w)
        w = re.sub(r"y", "i", w)
        w = re.sub(r"(.)\1+", r"\1", w)
        w = re.sub(r"(?<=.)(?:es|e|s|t|d|x|ent)$", "", w)
        words.append(w)
    return " ".join(words)


@functools.lru_cache(maxsize=65536)
def phonemes(text: str, language: str) -> str:
    """IPA of ``text`` as espeak-ng reads it in ``language`` (words separated by spaces, stress
    and length marks kept).  Falls back to ``_letter_key`` when espeak-ng is unavailable."""
    text = text.strip()
    if not text:
        return ""
    ipa = _ESPEAK.to_ipa(text, espeak_voice(language))
    if ipa is None:
        return _letter_key(text)
    return ipa


def sound_key(text: str, language: str) -> str:
    """The compared form: phonemes of ``text`` (numbers spelled in ``language`` first, mojibake
    repaired), with spaces, stress, length, syllable and tie marks dropped."""
    lang = normalize.base_language(language) or "en"
    spoken = normalize.spell_numbers(_prepare(text), lang)
    ipa = phonemes(spoken, language or "en")
    ipa = unicodedata.normalize("NFC", ipa)
    return "".join(c for c in ipa if c not in _DROP and not c.isspace())


def _prepare(text: str) -> str:
    import ftfy  # noqa: PLC0415

    s = ftfy.fix_text(text)
    # Punctuation would make espeak pause or say symbol names; keep letters, digits, apostrophes,
    # hyphens and number symbols.
    s = "".join(c if (c.isalnum() or c.isspace() or c in "'’-%€$£.,") else " " for c in s)
    s = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", s)
    return " ".join(s.split())


def sound_similarity(a: str, b: str, language: str) -> float:
    """How alike ``a`` and ``b`` sound in ``language``, 0..1 (1 = same phonemes): normalised
    Levenshtein similarity of the ``sound_key`` forms.  Two empty keys -> 1.0, one empty -> 0.0."""
    ka, kb = sound_key(a, language), sound_key(b, language)
    if not ka and not kb:
        return 1.0
    if not ka or not kb:
        return 0.0
    return float(Levenshtein.normalized_similarity(ka, kb))
