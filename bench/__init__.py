"""Benchmarks whose every figure is a ratio against a baseline measured in the same run.

Shared machines are noisy, so absolute times are reported only beside the
baseline they are divided by. `python -m bench` (or `make bench`) runs them all.
"""
