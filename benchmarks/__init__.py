"""dagnas's benchmarks; ``python -m benchmarks`` runs the suite (see suite.py)."""
