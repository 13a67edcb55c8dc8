"""Count a network's multiply-accumulates (MACs) on one example, with forward hooks.

What is counted: the multiply-accumulates of every ``nn.Conv2d``
(output elements × input channels per group × kernel area), every
``nn.Linear`` (output elements × input features) and every dense-block
stage (:class:`~dagnas.compile.dense.DenseStage`, whose shared linears run
outside their modules: in_width(i) × width per live edge i→j of each computed
block — exact for a child network's single block), for a single input of
the given shape — the "multi-adds" NAS papers report (DARTS, Liu et al.
2019). Not counted: biases, BatchNorm, activations, pooling, and the
additions that sum a node's inputs. A module type with its own rule in
:data:`MAC_RULES` is counted by that rule, and its submodules are not
counted again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from dagnas.compile.dense import DenseStage

#: ``rule(module, inputs, output) -> MACs`` of one call, by module type
MacRule = Callable[[Any, tuple[Any, ...], Any], int]


def _conv_macs(m: nn.Conv2d, inputs: tuple[Any, ...], out: torch.Tensor) -> int:
    kh, kw = m.kernel_size
    return out.numel() * (m.in_channels // m.groups) * kh * kw


def _linear_macs(m: nn.Linear, inputs: tuple[Any, ...], out: torch.Tensor) -> int:
    return out.numel() * m.in_features


def _dense_macs(m: DenseStage, inputs: tuple[Any, ...], out: torch.Tensor) -> int:
    x, pi = inputs
    total = 0
    for b, block in enumerate(m.blocks):
        if pi is not None and float(pi[b]) == 0:
            continue
        live = {0}
        for i, j in block:  # sorted by source: a source is final before it is read
            if i in live:
                live.add(j)
                total += (m.in_width if i == 0 else m.width) * m.width
    return total * x.shape[0]


MAC_RULES: dict[type[nn.Module], MacRule] = {
    nn.Conv2d: _conv_macs,
    nn.Linear: _linear_macs,
    DenseStage: _dense_macs,
}


def _rule_of(module: nn.Module) -> MacRule | None:
    for kind, rule in MAC_RULES.items():
        if isinstance(module, kind):
            return rule
    return None


def _counted_modules(model: nn.Module) -> list[tuple[nn.Module, MacRule]]:
    """Modules with a rule, outermost first; descendants of a counted module are skipped."""
    found: list[tuple[nn.Module, MacRule]] = []
    skip: set[int] = set()
    for module in model.modules():  # pre-order: parents before children
        if id(module) in skip:
            continue
        rule = _rule_of(module)
        if rule is not None:
            found.append((module, rule))
            skip.update(id(sub) for sub in module.modules())
    return found


@torch.no_grad()
def count_flops(model: nn.Module, input_shape: Sequence[int]) -> int:
    """MACs of one forward pass of ``model`` on one example of ``input_shape``
    (without the batch dimension), in eval mode; see the module doc for what counts."""
    total = 0

    def hook(rule: MacRule) -> Callable[[nn.Module, tuple[Any, ...], Any], None]:
        def count(module: nn.Module, inputs: tuple[Any, ...], out: Any) -> None:
            nonlocal total
            total += rule(module, inputs, out)

        return count

    handles = [m.register_forward_hook(hook(rule)) for m, rule in _counted_modules(model)]
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return int(total)
