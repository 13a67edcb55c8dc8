"""A graph neural network that predicts accuracy from an Architecture's graph.

Each Architecture becomes a PyG ``Data`` (:func:`dagnas.export.to_pyg`: node
features role one-hot + position, edge features op one-hot), with every edge
also added reversed and a direction flag appended to its features, so that
messages flow both ways. The model: a linear node embedding, ``layers`` GINE
convolutions (GIN with edge features; Xu et al. 2019, Hu et al. 2020), sum
and mean pooling, and an MLP to one number — the standardised accuracy,
fitted by mean squared error with Adam, full batch.

:func:`fit_predictor` holds out a seeded split of the architectures and
reports Kendall's τ between predicted and true accuracy there, beside the
τ of the best single structural metric: the metric with the largest |τ| on
the training split, used in that direction on the held-out split (and, for
reference, the largest |τ| any metric reaches on the held-out split).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import torch
from scipy import stats as sps
from torch import nn

from dagnas.analysis.metrics import architecture_table, metric_names
from dagnas.errors import DagnasError
from dagnas.export import to_pyg
from dagnas.graph import active_subgraph, from_json_dict
from dagnas.io import atomic_write

if TYPE_CHECKING:
    from torch_geometric.data import Batch, Data


@dataclass(frozen=True)
class PredictorConfig:
    """Model size and training of the predictor."""

    hidden: int = 64
    layers: int = 4
    epochs: int = 300
    lr: float = 3e-3
    weight_decay: float = 1e-4
    test_fraction: float = 0.25
    seed: int = 0


def graph_data(arch: nx.DiGraph, op_vocab: Sequence[str]) -> Data:
    """``to_pyg`` of the active subgraph (no zero-op edges, no dead nodes),
    each edge also reversed; edge features get a direction flag (0 forward, 1 back)."""
    d = to_pyg(active_subgraph(arch), list(op_vocab))
    flag = torch.zeros(d.edge_attr.shape[0], 1)
    d.edge_index = torch.cat([d.edge_index, d.edge_index.flip(0)], dim=1)  # (2, 2E)
    d.edge_attr = torch.cat(
        [torch.cat([d.edge_attr, flag], 1), torch.cat([d.edge_attr, flag + 1], 1)]
    )  # (2E, V + 1)
    del d.node_ids
    return d


class GinRegressor(nn.Module):
    """Node embedding → GINE layers → sum ‖ mean pooling → MLP → (B,) predictions."""

    def __init__(self, node_dim: int, edge_dim: int, hidden: int, layers: int):
        super().__init__()
        from torch_geometric.nn import GINEConv

        self.embed = nn.Linear(node_dim, hidden)
        self.convs = nn.ModuleList(
            GINEConv(
                nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)),
                edge_dim=edge_dim,
                train_eps=True,
            )
            for _ in range(layers)
        )
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, batch: Batch) -> torch.Tensor:
        from torch_geometric.nn import global_add_pool, global_mean_pool

        x = self.embed(batch.x)  # (N, H)
        for conv in self.convs:
            x = torch.relu(conv(x, batch.edge_index, batch.edge_attr))
        pooled = torch.cat([global_add_pool(x, batch.batch), global_mean_pool(x, batch.batch)], 1)
        return self.head(pooled).squeeze(1)  # (B,)


class Predictor:
    """A fitted GinRegressor with its op vocabulary and accuracy scale."""

    def __init__(
        self, model: GinRegressor, op_vocab: list[str], mean: float, std: float, meta: dict
    ):
        self.model, self.op_vocab, self.mean, self.std, self.meta = model, op_vocab, mean, std, meta

    @torch.no_grad()
    def predict(self, archs: Sequence[nx.DiGraph]) -> np.ndarray:
        """(len(archs),) predicted test accuracies."""
        from torch_geometric.data import Batch

        if not archs:
            return np.zeros(0)
        self.model.eval()
        batch = Batch.from_data_list([graph_data(a, self.op_vocab) for a in archs])
        return (self.model(batch) * self.std + self.mean).numpy().astype(float)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model, vocabulary, scale and fit summary to ``path`` (torch.save)."""
        state = {
            "state_dict": self.model.state_dict(),
            "op_vocab": self.op_vocab,
            "mean": self.mean,
            "std": self.std,
            "meta": self.meta,
        }
        return atomic_write(path, lambda f: torch.save(state, f))


def load_predictor(path: str | os.PathLike[str]) -> Predictor:
    """A Predictor written by :meth:`Predictor.save`."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        cfg = PredictorConfig(**state["meta"]["config"])
        vocab = list(state["op_vocab"])
        model = GinRegressor(state["meta"]["node_dim"], len(vocab) + 1, cfg.hidden, cfg.layers)
        model.load_state_dict(state["state_dict"])
    except FileNotFoundError as e:
        raise DagnasError(
            f"{path}: no such predictor file; fit one with `dagnas predict fit`"
        ) from e
    except (KeyError, TypeError, ValueError, RuntimeError, OSError, pickle.UnpicklingError) as e:
        raise DagnasError(f"{path}: not a predictor written by `dagnas predict fit` ({e})") from e
    return Predictor(model, vocab, float(state["mean"]), float(state["std"]), state["meta"])


@dataclass(frozen=True)
class SplitResult:
    """Held-out Kendall τ of the predictor and of the best single metric on one split."""

    seed: int
    n_train: int
    n_test: int
    tau_train: float
    tau_test: float
    best_metric: str
    best_metric_tau_test: float
    oracle_metric: str
    oracle_metric_tau_test: float


@dataclass(frozen=True)
class FitResult:
    """The splits a predictor was tested on; the saved model is fitted on all architectures."""

    dataset: str
    architectures: int
    splits: list[SplitResult]

    def mean_sd(self, field_name: str) -> tuple[float, float]:
        """Mean and standard deviation of a :class:`SplitResult` field over the splits."""
        values = np.array([getattr(s, field_name) for s in self.splits], dtype=float)
        return float(values.mean()), float(values.std())


def _tau(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(sps.kendalltau(a, b).statistic)


def _best_metric(
    records: list[dict[str, Any]], train: np.ndarray, test: np.ndarray
) -> tuple[str, float, str, float]:
    """(metric best on train, its signed τ on test, metric best on test, its |τ|)."""
    acc = np.array([r["accuracy"] for r in records])
    taus = {}
    for m in metric_names(records):
        x = np.array([r[m] for r in records])
        taus[m] = (_tau(x[train], acc[train]), _tau(x[test], acc[test]))
    best = max(taus, key=lambda m: abs(taus[m][0]))
    oracle = max(taus, key=lambda m: abs(taus[m][1]))
    sign = 1.0 if taus[best][0] >= 0 else -1.0
    return best, sign * taus[best][1], oracle, abs(taus[oracle][1])


@dataclass
class _Prepared:
    """The architectures of one dataset as PyG graphs, with their mean accuracies."""

    records: list[dict[str, Any]]
    archs: list[nx.DiGraph]
    data: list[Data]
    acc: np.ndarray
    vocab: list[str]
    meta: dict[str, Any]


def _prepare(rows: Sequence[dict[str, Any]], cfg: PredictorConfig) -> _Prepared:
    datasets = sorted({r["dataset"] for r in rows})
    if len(datasets) != 1:
        raise DagnasError(
            f"fit a predictor on one dataset; the rows hold {datasets or 'none'}: "
            "choose one with --dataset"
        )
    records = architecture_table(rows, by=("dataset",))
    graphs = {r["hash"]: from_json_dict(r["graph"]) for r in rows}
    archs = [graphs[r["hash"]] for r in records]
    vocab = sorted({str(op) for a in archs for _, _, op in a.edges(data="op")})
    data = [graph_data(a, vocab) for a in archs]
    meta = {
        "config": asdict(cfg),
        "node_dim": int(data[0].x.shape[1]),
        "dataset": datasets[0],
        "spaces": sorted({r["space"] for r in rows}),
    }
    acc = np.array([r["accuracy"] for r in records])
    return _Prepared(records, archs, data, acc, vocab, meta)


def _fit(p: _Prepared, idx: np.ndarray, cfg: PredictorConfig, seed: int) -> Predictor:
    """A predictor trained on architectures ``idx`` (full batch, MSE on standardised accuracy)."""
    from torch_geometric.data import Batch

    mean, std = float(p.acc[idx].mean()), float(p.acc[idx].std()) or 1.0
    torch.manual_seed(seed)
    model = GinRegressor(p.meta["node_dim"], len(p.vocab) + 1, cfg.hidden, cfg.layers)
    batch = Batch.from_data_list([p.data[i] for i in idx])
    y = torch.tensor((p.acc[idx] - mean) / std, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    for _ in range(cfg.epochs):
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(model(batch), y).backward()
        opt.step()
    return Predictor(model, p.vocab, mean, std, dict(p.meta))


def _split(n: int, cfg: PredictorConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n_test = max(2, round(cfg.test_fraction * n))
    if n - n_test < 2:
        raise DagnasError(f"{n} architectures are too few to fit and test a predictor; need 4+")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _test_split(p: _Prepared, cfg: PredictorConfig, seed: int) -> SplitResult:
    train, test = _split(len(p.records), cfg, seed)
    pred = _fit(p, train, cfg, seed).predict(p.archs)
    best, best_tau, oracle, oracle_tau = _best_metric(p.records, train, test)
    return SplitResult(
        seed=seed,
        n_train=len(train),
        n_test=len(test),
        tau_train=_tau(pred[train], p.acc[train]),
        tau_test=_tau(pred[test], p.acc[test]),
        best_metric=best,
        best_metric_tau_test=best_tau,
        oracle_metric=oracle,
        oracle_metric_tau_test=oracle_tau,
    )


def fit_predictor(
    rows: Sequence[dict[str, Any]], cfg: PredictorConfig = PredictorConfig(), splits: int = 1
) -> tuple[Predictor, FitResult]:
    """Test the predictor on ``splits`` held-out splits (seeds ``cfg.seed`` onward) of
    store ``rows`` (one dataset; accuracy averaged over training seeds), then fit the
    returned one on every architecture."""
    if isinstance(splits, bool) or not isinstance(splits, int) or splits < 1:
        raise DagnasError(f"splits must be an integer >= 1, got {splits!r}")
    p = _prepare(rows, cfg)
    tested = [_test_split(p, cfg, cfg.seed + k) for k in range(splits)]
    result = FitResult(p.meta["dataset"], len(p.records), tested)
    predictor = _fit(p, np.arange(len(p.records)), cfg, cfg.seed)
    predictor.meta["fit"] = asdict(result)
    return predictor, result
