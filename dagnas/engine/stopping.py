"""Early stopping of a search (DARTS+, Liang et al. 2019).

DARTS+ ends the search when one of two criteria holds after an epoch:

1. the derived normal cell holds ``max_skips`` or more `skip_connect` ops
   (the paper: two; the collapse it guards against fills cells with skips);
2. the ranking of the architecture parameters has stayed the same for
   ``patience`` epochs (the paper: 10): here, the architecture the space's
   derivation rule derives from the mixing weights is unchanged.

The loop asks after each epoch's checks and before its checkpoint; when the
rule says stop, that epoch is the search's last and the architecture derived
from its mixing weights is the result (:mod:`dagnas.engine.loop`). The
checkpoint holds the verdict: a stopped run that is resumed (even with more
epochs) stays stopped and derives the same architecture.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from dagnas.engine.components import EARLY_STOPS, EarlyStop
from dagnas.engine.derive import discretize
from dagnas.registry import Strict, StrictPositiveInt
from dagnas.relax import Mixing


def derived_ops(g: nx.DiGraph, choices: dict[str, list[str]], mixing: Mixing) -> dict[str, Any]:
    """Per choice the option the space's derivation rule keeps (None: dropped),
    from the one-hot weights of :func:`dagnas.engine.derive.discretize`. Where
    the options are slots whose blocks the search replaces (dense blocks:
    ``g.graph["blocks"]``), the kept option is the slot with the block it holds,
    so that a slot refilled with another block is another architecture."""
    onehot = discretize(g, mixing)
    blocks = g.graph.get("blocks", {})
    held = {
        k: blocks[s] for s, keys in g.graph.get("groups", {}).items() if s in blocks for k in keys
    }
    ops: dict[str, Any] = {}
    for k, w in sorted(onehot.items()):
        if not bool(w.any()):
            ops[k] = None
            continue
        i = int(w.argmax())
        ops[k] = (choices[k][i], held[k][i]) if k in held else choices[k][i]
    return ops


def cell_of_choices(g: nx.DiGraph) -> dict[str, str | None]:
    """Per searched edge's choice key, the ``cell`` its source node belongs to."""
    return {d["key"]: g.nodes[u].get("cell") for u, _, d in g.edges(data=True) if "ops" in d}


@EARLY_STOPS.register("darts_plus")
class DartsPlus(EarlyStop):
    """DARTS+: stop when the derived ``cell`` holds ``max_skips`` ``skip`` ops
    (criterion 1; only spaces whose nodes belong to cells, darts_cell), or when
    the derived architecture has not changed for ``patience`` epochs
    (criterion 2; any space). Null turns a criterion off. Epochs without an
    architecture step (warm-up) judge nothing: α has not moved in them."""

    class Options(Strict):
        max_skips: StrictPositiveInt | None = 2
        patience: StrictPositiveInt | None = 10
        skip: str = "skip_connect"
        cell: str = "normal"

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.last: dict[str, Any] | None = None
        self.unchanged = 0

    def check(self, model: Any, mixing: Mixing, moved: bool) -> str | None:
        if not moved:
            return None
        g = model.current_graph()
        ops = derived_ops(g, model.relaxation.choices, mixing)
        self.unchanged = self.unchanged + 1 if ops == self.last else 0
        self.last = ops
        o = self.options
        if o.max_skips is not None:
            cells = cell_of_choices(g)
            skips = sum(op == o.skip and cells.get(k) == o.cell for k, op in ops.items())
            if skips >= o.max_skips:
                return f"the derived {o.cell} cell holds {skips} {o.skip} (DARTS+ criterion 1)"
        if o.patience is not None and self.unchanged >= o.patience:
            return (
                f"the derived architecture has not changed for {self.unchanged} epochs"
                " (DARTS+ criterion 2)"
            )
        return None
