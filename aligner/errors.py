"""Errors a user can cause, each with its own exit code (the README's table lists them).

The CLI prints ``podalign: error: <message>`` and exits with ``exit_code``; anything else is a bug
and exits 1.
"""
from __future__ import annotations


class PodalignError(Exception):
    exit_code = 1


class InputNotFound(PodalignError):
    """A file named on the command line is missing or unreadable."""

    exit_code = 3


class AudioError(PodalignError):
    """The audio cannot be decoded, is empty, or is silent."""

    exit_code = 4


class TranscriptError(PodalignError):
    """The transcript is empty or cannot be decoded as text."""

    exit_code = 5


class DecisionsMismatch(TranscriptError):
    """Decisions made on another transcript, or text the transcript's own encoding cannot hold
    (exit 5, as any transcript the run cannot use)."""


class TranscriptMismatch(PodalignError):
    """The transcript does not belong to this audio."""

    exit_code = 6


class OutputError(PodalignError):
    """The output folder cannot be created or written."""

    exit_code = 7


class ModelUnavailable(PodalignError):
    """The model cannot be loaded (not installed, not downloadable offline, corrupt)."""

    exit_code = 8


class DeviceUnavailable(PodalignError):
    """CUDA was asked for but CTranslate2 sees no GPU."""

    exit_code = 9


class ManifestError(PodalignError):
    """``podalign batch``: the manifest or the folders to pair cannot give a list of episodes
    (missing column, bad line, two episodes with one id, nothing to pair)."""

    exit_code = 11


class RayUnavailable(PodalignError):
    """``podalign batch --ray``: Ray is not installed, or the cluster cannot be reached."""

    exit_code = 12


class DecisionsError(PodalignError):
    """A decisions file or alignment JSON that podalign did not write (not JSON, missing fields,
    overlapping spans)."""

    exit_code = 13


# Not an exception: ``podalign batch`` ran every episode it could, and at least one failed (each
# failure is in OUTDIR's state file and catalogue with its own exit code and message).
EPISODES_FAILED = 10
