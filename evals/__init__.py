"""Prompt-eval suites and their runner."""
