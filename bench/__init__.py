"""Benchmarks: scripts that print ratios measured in one run, not pass/fail tests."""
