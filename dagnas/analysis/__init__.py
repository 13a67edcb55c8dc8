"""Relate DAG structure to accuracy: reads the evaluations store, never trains.

Modules (imported one by one, so that the store stays importable without torch):

- :mod:`~dagnas.analysis.store` — ``EvalStore``: the SQLite evaluations store.
- :mod:`~dagnas.analysis.metrics`, :mod:`~dagnas.analysis.stats`,
  :mod:`~dagnas.analysis.report` — DAG metrics vs accuracy: correlations with
  bootstrap intervals, differences between datasets, a markdown report with plots.
- :mod:`~dagnas.analysis.predict` — a GIN accuracy predictor on PyG graphs.
"""
