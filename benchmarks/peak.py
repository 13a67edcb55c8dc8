"""This machine's float32 matrix-multiply peak, the yardstick for dense kernels."""

from __future__ import annotations

import torch

from benchmarks.common import interleaved


def matmul_peak(device: str = "cpu", n: int = 2048, steps: int = 10) -> dict[str, float]:
    """GFLOP/s of an ``n×n @ n×n`` float32 matmul: median, min and max of ``steps``.

    Use the median as "the measured peak"; measure it in the same run as
    the kernel you compare with it, since other load moves both.
    """
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    out = torch.empty(n, n, device=device)
    t = interleaved({"mm": lambda: torch.mm(a, b, out=out)}, steps, 2, device)["mm"]
    flop = 2 * n**3 / 1e9
    return {"median": flop / t["median"], "min": flop / t["max"], "max": flop / t["min"], "n": n}
