"""`make bench`: the promises of DESIGN.md measured beside baselines (python -m tests.bench)."""
