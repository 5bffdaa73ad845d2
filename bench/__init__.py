"""Benchmarks for podalign: accuracy, speed and memory against plain faster-whisper.

Run ``python bench/run.py --help``.  ``bench.run.smoke(case_dir)`` is the test-friendly entry point.
"""
