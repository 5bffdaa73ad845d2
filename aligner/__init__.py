"""podalign: line up a podcast episode's audio with its published transcript."""

__version__ = "0.1.0"  # keep in step with pyproject.toml (a test checks)
