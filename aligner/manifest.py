"""The episodes of a catalogue: from a manifest (CSV or JSON Lines) or two folders paired by file
stem.  Pure reading and checking; nothing here opens the audio or the transcripts (a missing file
is that episode's failure, not the batch's)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputNotFound, ManifestError
from .transcript import read_input

COLUMNS = ("audio", "transcript", "language", "names", "id")
REQUIRED = ("audio", "transcript")
# What a folder pairing takes for audio and for text.  Audio: what PyAV decodes that podcasts
# ship in; text: what transcript.py reads (plain text, Markdown, subtitles, a web page).
AUDIO_SUFFIXES = {".mp3", ".m4a", ".m4b", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac",
                  ".webm", ".mp4", ".mka", ".wma", ".aif", ".aiff"}
TEXT_SUFFIXES = {".txt", ".md", ".srt", ".vtt", ".html", ".htm"}


@dataclass(frozen=True)
class Episode:
    id: str
    audio: str  # absolute paths: a Ray worker elsewhere reads them from shared storage
    transcript: str
    language: str | None = None
    names: str | None = None


@dataclass
class Catalogue:
    episodes: list[Episode]
    unpaired: list[str] = field(default_factory=list)  # files a folder pairing could not pair


def check_id(ident: str, where: str) -> str:
    """An id is a folder name under OUTDIR: no separators, not hidden (OUTDIR's own files and
    temporary folders start with a dot)."""
    if not ident or "/" in ident or "\\" in ident or ident.startswith(".") or "\x00" in ident:
        raise ManifestError(f"{where}: id {ident!r} cannot be a folder name (no '/', '\\', "
                            "leading '.' or empty id)")
    return ident


def _episode(row: dict, base: Path, where: str, language_code) -> Episode:
    unknown = sorted(k for k in row if k not in COLUMNS)
    if unknown:
        raise ManifestError(f"{where}: unknown column(s) {', '.join(unknown)} "
                            f"(known: {', '.join(COLUMNS)})")
    vals = {k: (str(v).strip() if v is not None else "") for k, v in row.items()}
    for k in REQUIRED:
        if not vals.get(k):
            raise ManifestError(f"{where}: '{k}' is missing or empty")
    audio = (base / vals["audio"]).resolve()
    lang = vals.get("language") or None
    if lang is not None:
        try:
            lang = language_code(lang)
        except ValueError as e:
            raise ManifestError(f"{where}: {e}") from None
    names = vals.get("names") or None
    return Episode(id=check_id(vals.get("id") or audio.stem, where), audio=str(audio),
                   transcript=str((base / vals["transcript"]).resolve()), language=lang,
                   names=str((base / names).resolve()) if names else None)


def _is_jsonl(path: Path, text: str) -> bool:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return True
    if path.suffix.lower() == ".csv":
        return False
    return text.lstrip().startswith("{")


def parse_manifest(text: str, path: Path, language_code=lambda s: s) -> list[Episode]:
    """The episodes of a manifest's text; paths are taken relative to the manifest's folder."""
    base = path.resolve().parent
    episodes: list[Episode] = []
    if _is_jsonl(path, text):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise ManifestError(f"{path}:{n}: not a JSON object ({e.msg})") from None
            if not isinstance(row, dict):
                raise ManifestError(f"{path}:{n}: not a JSON object")
            episodes.append(_episode(row, base, f"{path}:{n}", language_code))
    else:
        reader = csv.DictReader(io.StringIO(text))
        head = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED if c not in head]
        if missing:
            raise ManifestError(f"{path}: the CSV header must name {', '.join(REQUIRED)} "
                                f"(found: {', '.join(head) or 'nothing'})")
        reader.fieldnames = head
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # a blank line
            if None in row:
                raise ManifestError(f"{path}:{reader.line_num}: more cells than header columns")
            episodes.append(_episode(row, base, f"{path}:{reader.line_num}", language_code))
    if not episodes:
        raise ManifestError(f"{path}: no episodes in the manifest")
    check_unique(episodes)
    return episodes


def check_unique(episodes: list[Episode]) -> None:
    seen: dict[str, int] = {}
    for e in episodes:
        seen[e.id] = seen.get(e.id, 0) + 1
    dup = sorted(k for k, n in seen.items() if n > 1)
    if dup:
        raise ManifestError(f"two or more episodes share an id: {', '.join(dup[:10])}"
                            f"{' ...' if len(dup) > 10 else ''} (give each an 'id')")


def read_manifest(path: str | Path, language_code=lambda s: s) -> Catalogue:
    path = Path(path)
    data = read_input(path, "manifest")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: the manifest is not UTF-8 text") from None
    return Catalogue(parse_manifest(text, path, language_code))


def pair_names(audio_files: list[str], text_files: list[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Pair file names by stem: ([(stem, audio, text)], [unpaired names]).  Two files of one kind
    with one stem would be a guess, so they are an error."""
    def by_stem(names: list[str], what: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for n in sorted(names):
            stem = Path(n).stem
            if stem in out:
                raise ManifestError(f"two {what} files with the stem {stem!r}: {out[stem]}, {n}")
            out[stem] = n
        return out

    audio, text = by_stem(audio_files, "audio"), by_stem(text_files, "transcript")
    pairs = [(s, audio[s], text[s]) for s in sorted(audio) if s in text]
    unpaired = sorted([audio[s] for s in audio if s not in text] + [text[s] for s in text if s not in audio])
    return pairs, unpaired


def _listing(folder: Path, suffixes: set[str], what: str) -> list[str]:
    if not folder.is_dir():
        raise InputNotFound(f"{what} folder not found: {folder}")
    return [p.name for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes]


def pair_folders(audio_dir: str | Path, transcript_dir: str | Path) -> Catalogue:
    """Episodes from two folders (may be one folder): audio and transcript with one file stem."""
    adir, tdir = Path(audio_dir).resolve(), Path(transcript_dir).resolve()
    pairs, unpaired = pair_names(_listing(adir, AUDIO_SUFFIXES, "audio"),
                                 _listing(tdir, TEXT_SUFFIXES, "transcript"))
    if not pairs:
        raise ManifestError(f"no audio in {adir} has a transcript of the same name in {tdir}"
                            f"{' (unpaired: ' + ', '.join(unpaired[:5]) + ')' if unpaired else ''}")
    episodes = [Episode(check_id(s, str(adir / a)), str(adir / a), str(tdir / t))
                for s, a, t in pairs]
    folder_of = {n: adir for n in _listing(adir, AUDIO_SUFFIXES, "audio")}
    return Catalogue(episodes, [str(folder_of.get(n, tdir) / n) for n in unpaired])
