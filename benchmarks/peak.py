"""This machine's float32 matrix-multiply peak, the yardstick for dense kernels."""

from __future__ import annotations

from collections.abc import Callable

import torch

from benchmarks.common import interleaved

#: The matmul size whose speed is taken as the peak (large enough to saturate BLAS).
PEAK_N = 2048


def matmul(device: str = "cpu", n: int = PEAK_N) -> tuple[Callable[[], torch.Tensor], float]:
    """One ``n×n @ n×n`` float32 matmul as a function, and its FLOPs (2n³)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    out = torch.empty(n, n, device=device)
    return (lambda: torch.mm(a, b, out=out)), 2.0 * n**3


def matmul_peak(device: str = "cpu", n: int = PEAK_N, steps: int = 10) -> dict[str, float]:
    """GFLOP/s of an ``n×n @ n×n`` float32 matmul: median, min and max of ``steps``.

    Use the median as "the measured peak"; measure it in the same run as
    the kernel you compare with it, since other load moves both.
    """
    fn, flop = matmul(device, n)
    t = interleaved({"mm": fn}, steps, 2, device)["mm"]
    g = flop / 1e9
    return {"median": g / t["median"], "min": g / t["max"], "max": g / t["min"], "n": n}
