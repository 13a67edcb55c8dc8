"""Count a network's multiply-accumulates (MACs) on one example.

The forward pass runs under :class:`torch.utils.flop_counter.FlopCounterMode`,
which counts at the level of aten operators: every matrix multiply
(``mm``, ``addmm``, ``bmm``, …) and convolution is seen, whether a module,
a functional call (``F.linear``, ``F.conv2d``) or a user-registered op
issued it. Its floating-point operations count a multiply-accumulate as two;
they are reported halved, as the "multi-adds" NAS papers report (DARTS,
Liu et al. 2019): a convolution is output elements × input channels per
group × kernel area, a linear map output elements × input features. Not
counted: biases, BatchNorm, activations, pooling, and the additions that
sum a node's inputs, except where the network sums them by a matmul (a
dense stage sums a vertex's in-terms by one matmul: in-degree × width).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


@torch.no_grad()
def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """MACs of one forward pass of ``model`` on one example of ``input_shape``
    (without the batch dimension), in eval mode; see the module doc for what counts."""
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        with counter:
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2
