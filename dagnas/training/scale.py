"""Scale-up: a derived darts_cell architecture at another width and depth.

A searched cell is retrained in a larger network than the one it was
searched in (DARTS: searched with 8 cells of C=16, evaluated with 20 cells of
C=36). The cells (ops and edges) stay; the macro changes: ``channels`` and
``layers``, with the space's reduction layers moved so that they split the
new depth as DARTS places them (layer ``k·layers // (r+1)`` for the k-th of
r reductions: ``layers // 3`` and ``2·layers // 3`` for two). NAS-Bench-201's
17 layers with residual blocks at 5 and 11 are N=5 cells per stage.
"""

from __future__ import annotations

import copy

import networkx as nx

from dagnas.errors import DagnasError


def scaled_reductions(layers: int, count: int) -> list[int]:
    """The ``count`` reduction layers of a network of ``layers`` layers, evenly spaced."""
    return [k * layers // (count + 1) for k in range(1, count + 1)]


def scale_architecture(
    arch: nx.DiGraph, channels: int | None = None, layers: int | None = None
) -> nx.DiGraph:
    """``arch`` with ``channels`` initial channels and ``layers`` layers (None: as
    it is); a copy, or ``arch`` itself when nothing changes."""
    if channels is None and layers is None:
        return arch
    if arch.graph.get("kind") != "darts_cell":
        raise DagnasError(
            f"scale-up (channels, layers) applies to darts_cell architectures, not to"
            f" {arch.graph.get('kind')!r} ones; leave the protocol's channels and layers unset"
        )
    macro = dict(arch.graph["macro"])
    count = len(macro["reductions"])
    if layers is not None and layers <= count:
        raise DagnasError(
            f"{layers} layers cannot hold the architecture's {count} reduction layers"
            f" and a cell; use at least {count + 1}"
        )
    scaled = copy.deepcopy(arch)
    if channels is not None:
        macro["channels"] = channels
    if layers is not None:
        macro["layers"] = layers
        macro["reductions"] = scaled_reductions(layers, count)
    scaled.graph["macro"] = macro
    return scaled
