"""EchoTune's performance table: `python -m benchmarks` (or `make bench`). Speed goals live here, never in tests."""
