"""Evaluate many architectures, relate their DAG structure to accuracy, predict it.

Modules (imported one by one, so that the store stays importable without torch):

- :mod:`~dagnas.analysis.params` — ``graph_params(arch)``: the child network's
  parameter count, computed from the graph alone.
- :mod:`~dagnas.analysis.flops` — ``count_flops(model, input_shape)``: MACs by hooks.
- :mod:`~dagnas.analysis.candidates` — ``sample_architectures(graph, n, seed)``.
- :mod:`~dagnas.analysis.store` — ``EvalStore``: the SQLite evaluations store.
- :mod:`~dagnas.analysis.evaluate` — ``evaluate_space``: train many candidates
  in local processes or on Ray, writing each result to the store.
- :mod:`~dagnas.analysis.metrics`, :mod:`~dagnas.analysis.stats`,
  :mod:`~dagnas.analysis.report` — DAG metrics vs accuracy: correlations with
  bootstrap intervals, differences between datasets, a markdown report with plots.
- :mod:`~dagnas.analysis.predict` — a GIN accuracy predictor on PyG graphs.
"""
