"""Euclidean projections onto simplices, batched over the last dimension.

``project_simplex`` is the sort-based projection onto {a ≥ 0, Σa = 1}
(Duchi, Shalev-Shwartz, Singer, Chandra, ICML 2008); as a map of its input
it is sparsemax (Martins & Astudillo, ICML 2016). Every operation in it is
differentiable almost everywhere, so autograd gives sparsemax's Jacobian
diag(s) − s·sᵀ/|S| (s: the support's indicator).
"""

from __future__ import annotations

import torch


def project_simplex(x: torch.Tensor) -> torch.Tensor:
    """argmin_a ‖a − x‖ over {a ≥ 0, Σa = 1}, on the last dim of ``x`` (…, n).

    Sort u descending; k = max{k : u_k − (Σ_{r≤k} u_r − 1)/k > 0};
    τ = (Σ_{r≤k} u_r − 1)/k; return max(x − τ, 0).
    """
    u, _ = torch.sort(x, dim=-1, descending=True)
    excess = torch.cumsum(u, dim=-1) - 1  # (…, n): Σ_{r≤k} u_r − 1
    k = torch.arange(1, x.shape[-1] + 1, device=x.device, dtype=x.dtype)
    # the k that pass form a prefix 1..ρ of 1..n, and k = 1 always passes
    rho = (u - excess / k > 0).sum(dim=-1, keepdim=True)
    tau = excess.gather(-1, rho - 1) / rho.to(x.dtype)
    return torch.clamp(x - tau, min=0)


def project_capped_simplex(x: torch.Tensor) -> torch.Tensor:
    """argmin_a ‖a − x‖ over {a ≥ 0, Σa ≤ 1}, on the last dim of ``x`` (…, n).

    Clip at zero; where that sums to more than 1 the sum constraint is
    active, and the answer is the projection onto the probability simplex.
    """
    clipped = torch.clamp(x, min=0)
    over = clipped.sum(dim=-1, keepdim=True) > 1
    return torch.where(over, project_simplex(x), clipped)
