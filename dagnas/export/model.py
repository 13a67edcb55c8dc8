"""A standalone model or a text form of an Architecture, in one file.

:func:`export_model` writes the child network (:class:`dagnas.compile.ChildNet`)
traced at the data's input shape, loadable without dagnas:

- ``onnx``: ``torch.onnx.export`` (needs the ``onnx`` extra: onnx, onnxscript);
- ``pt2``: ``torch.export`` (load with ``torch.export.load(path).module()``);
- ``torchscript``: ``torch.jit.trace`` (load with ``torch.jit.load``);

or a text form of the Architecture: ``genotype`` (DARTS), ``nb201`` (the
NAS-Bench-201 string) and ``dot`` (Graphviz, one cluster per cell).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import torch
from torch import nn

from dagnas.compile import ChildNet
from dagnas.errors import DagnasError
from dagnas.export.dot import to_dot
from dagnas.export.genotype import to_genotype
from dagnas.export.nb201 import SUMMED, nb201_string, summed_edges
from dagnas.io import atomic_write_bytes, atomic_write_text

PathLike = str | os.PathLike[str]
#: format → file suffix
FORMATS: dict[str, str] = {
    "onnx": ".onnx",
    "pt2": ".pt2",
    "torchscript": ".pt",
    "genotype": ".txt",
    "nb201": ".txt",
    "dot": ".dot",
}


def child_model(arch: nx.DiGraph, model: nn.Module | None = None) -> nn.Module:
    """``model`` (default: a fresh child network of ``arch``) in eval mode and
    plain NCHW, without recomputation hooks: ready to trace."""
    model = (ChildNet(arch) if model is None else model).eval()
    body = model.body
    if hasattr(body, "channels_last"):
        body.channels_last = False
    if hasattr(body, "recompute"):
        body.recompute = False
    return model


def _text(arch: nx.DiGraph, fmt: str) -> str:
    if fmt == "genotype":
        return repr(to_genotype(arch))
    if fmt == "nb201":
        s = nb201_string(arch)
        if s is None and summed_edges(arch):
            raise DagnasError(f"edges {', '.join(summed_edges(arch))} {SUMMED}")
        if s is None:
            raise DagnasError(
                "an NB201 string needs a NAS-Bench-201-shaped darts_cell architecture"
                " (input_nodes: 1, nodes: 3, output: last), e.g. from spaces/nb201.yaml"
            )
        return s
    return to_dot(arch)


def _onnx(model: nn.Module, x: torch.Tensor, f: io.BytesIO) -> None:
    try:
        import onnx  # noqa: F401  (the exporter needs it; say so before it fails deeper)
        import onnxscript  # noqa: F401
    except ImportError as e:
        raise DagnasError(
            f"ONNX export needs the onnx and onnxscript packages ({e.name} is missing):"
            " pip install 'dagnas[onnx]'"
        ) from None
    program = torch.onnx.export(
        model, (x,), dynamo=True, input_names=["x"], output_names=["logits"], verbose=False
    )
    program.save(f)


def _pt2(model: nn.Module, x: torch.Tensor, f: io.BytesIO) -> None:
    torch.export.save(torch.export.export(model, (x,)), f)


def _torchscript(model: nn.Module, x: torch.Tensor, f: io.BytesIO) -> None:
    with warnings.catch_warnings():  # shape checks fixed at x's shape: what tracing means
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript's own deprecation: asked for
        torch.jit.save(torch.jit.trace(model, x), f)


TRACERS: dict[str, Callable[[nn.Module, torch.Tensor, io.BytesIO], None]] = {
    "onnx": _onnx,
    "pt2": _pt2,
    "torchscript": _torchscript,
}


def export_model(
    arch: nx.DiGraph,
    fmt: str,
    path: PathLike,
    input_shape: tuple[int, ...] | None = None,
    *,
    model: nn.Module | None = None,
    batch: int = 2,
) -> Path:
    """Write ``arch`` as ``fmt`` (see :data:`FORMATS`) to ``path``, atomically.

    Models are traced on a random batch of ``batch`` inputs of ``input_shape``
    (default: the architecture's ``input_shape``, the data it was searched on);
    the batch size stays fixed in the file. ``model`` is the ``ChildNet(arch)``
    whose weights to write (e.g. a retrained one; it is put in eval mode);
    default: freshly initialised weights.
    """
    if fmt not in FORMATS:
        raise DagnasError(f"unknown export format '{fmt}' (known: {', '.join(FORMATS)})")
    if fmt not in TRACERS:
        return atomic_write_text(path, _text(arch, fmt).rstrip("\n") + "\n")
    shape = tuple(input_shape or arch.graph.get("input_shape") or ())
    if not shape:
        raise DagnasError("the architecture has no input_shape; pass input_shape=(C, H, W)")
    model = child_model(arch, model)
    try:
        x = torch.randn(batch, *shape, device=next(model.parameters()).device)
        with torch.no_grad():
            model(x)
    except RuntimeError as e:  # a shape the network cannot take, or too large to allocate
        built = tuple(arch.graph.get("input_shape") or ())
        raise DagnasError(
            f"the architecture (built for inputs of shape {built}) cannot take inputs of shape"
            f" {shape}: {str(e).strip().splitlines()[0]}; give the input shape it was built"
            " for (--input-shape C,H,W)"
        ) from None
    buf = io.BytesIO()
    with torch.no_grad():
        TRACERS[fmt](model, x, buf)
    return atomic_write_bytes(path, buf.getvalue())
