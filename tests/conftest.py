"""Shared helpers: run the real command line in a child process, as a user would."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def run_cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "aligner", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def clip() -> tuple[Path, Path]:
    """Real speech: two FLEURS sentences, 15 s, with a published transcript holding one error."""
    return DATA / "fleurs-2clips.ogg", DATA / "fleurs-2clips.txt"
