"""Write the output files: everything is rendered to strings first, then written atomically.

Each file goes to a temporary name in the output folder and is renamed into place with
``os.replace``.  If anything fails, the temporary files and the files this call already put in
place are removed, and ``errors.OutputError`` is raised: nothing half-written is left behind.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import quote

from . import formats
from .errors import OutputError
from .types import Alignment

FORMATS = ("srt", "vtt", "json", "podcast-json", "txt")
SUFFIX = {
    "srt": ".srt",
    "vtt": ".vtt",
    "json": ".json",
    "podcast-json": ".podcast.json",
    "txt": ".txt",
    "csv": ".mismatches.csv",
    "review": ".review.html",
}


def audio_href(audio_path: str | os.PathLike, outdir: Path) -> str:
    """A relative URL from ``outdir`` to the audio file (absolute file:// URL as a fallback)."""
    audio = Path(audio_path).resolve()
    try:
        rel = os.path.relpath(audio, Path(outdir).resolve())
    except ValueError:  # another drive on Windows
        return audio.as_uri()
    return quote(rel.replace(os.sep, "/"))


def render_outputs(alignment: Alignment, name: str, formats_: list[str], *, word_timing: bool = False,
                   speaker_prefix: bool = True, review: bool = True, href: str = "") -> dict[str, str]:
    """File name -> text, for every requested format plus the CSV (and the review page)."""
    unknown = [f for f in formats_ if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown output format(s): {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    out: dict[str, str] = {}
    vtt_plain = None
    for f in dict.fromkeys(formats_):  # keep order, drop duplicates
        if f == "srt":
            text = formats.to_srt(alignment.cues, speaker_prefix=speaker_prefix)
        elif f == "vtt":
            text = formats.to_vtt(alignment.cues, word_timing=word_timing)
        elif f == "json":
            text = formats.to_json(alignment)
        elif f == "podcast-json":
            text = formats.to_podcast_json(alignment.cues)
        else:
            text = formats.to_txt([w for w in alignment.words])
        out[name + SUFFIX[f]] = text
    out[name + SUFFIX["csv"]] = formats.to_csv(alignment.mismatches)
    if review:
        from .review import render_review_html

        vtt_plain = formats.to_vtt(alignment.cues)
        out[name + SUFFIX["review"]] = render_review_html(alignment, href, vtt_plain)
    return out


def _write_temp(folder: Path, final_name: str, data: bytes) -> Path:
    """Write ``data`` to a new temporary file next to ``final_name``; returns its path."""
    tmp = folder / f".{final_name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """One file written as ``write_outputs`` writes its files: a temporary name beside it, then
    a rename; ``OutputError`` (nothing left behind) when that fails."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = _write_temp(folder, path.name, data)
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            _unlink(tmp)
        raise OutputError(f"cannot write {path}: {_reason(e)}") from e
    return path


def _unlink(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def write_outputs(alignment: Alignment, outdir: Path, name: str, formats: list[str] | None = None, *,
                  word_timing: bool = False, speaker_prefix: bool = True, review: bool = True,
                  audio_path: str | os.PathLike | None = None) -> list[Path]:
    """Write NAME.srt / .vtt / .json / .podcast.json / .txt (as asked), NAME.mismatches.csv and,
    with ``review``, NAME.review.html into ``outdir``.  Returns the paths written, in order.

    ``alignment.cues`` must already be built.  ``audio_path`` (default: the alignment's) is what
    the review page plays, linked relative to ``outdir``.
    """
    formats_ = list(formats) if formats is not None else ["srt", "vtt", "json"]
    outdir = Path(outdir)
    if not name or "/" in name or os.sep in name or name in (".", ".."):
        raise OutputError(f"invalid output name: {name!r}")
    href = audio_href(audio_path if audio_path is not None else alignment.audio_path, outdir)
    rendered = render_outputs(alignment, name, formats_, word_timing=word_timing,
                              speaker_prefix=speaker_prefix, review=review, href=href)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output folder {outdir}: {_reason(e)}") from e
    if not outdir.is_dir():
        raise OutputError(f"output folder {outdir} is not a folder")

    temps: list[tuple[Path, Path]] = []
    written: list[Path] = []
    current = outdir
    try:
        for fname, text in rendered.items():
            current = outdir / fname
            temps.append((_write_temp(outdir, fname, text.encode("utf-8")), current))
        for tmp, final in temps:
            current = final
            os.replace(tmp, final)
            written.append(final)
    except (OSError, ValueError) as e:
        for tmp, _ in temps:
            _unlink(tmp)
        for p in written:
            _unlink(p)
        raise OutputError(f"cannot write {current}: {_reason(e)}") from e
    return written
