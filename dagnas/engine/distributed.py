"""Data-parallel search with torch.distributed, launched by ``torchrun``.

Every rank holds the whole supernet and starts from the same seed. Each
minibatch (train and val) is cut into equal strided shards, one per rank;
after each backward pass the gradients of the network weights *and* of the
architecture parameters are averaged across ranks with ``all_reduce``, so
every rank takes the same optimizer steps and α stays identical everywhere
(checked after every step). Buffers (BatchNorm running statistics) are
rank 0's: broadcast before each evaluation, which keeps rank 0's running
statistics as ``DistributedDataParallel`` does.
Only rank 0 writes files. The backend is gloo on CPU and nccl on CUDA.

With a batch of B and W ranks, each rank sees ⌊B/W⌋ examples and the B mod W
left over sit out that step, so the averaged gradient is the mean over the
examples used: 2 ranks on batch B match 1 process on batch B up to float
rounding (exactly so only without BatchNorm, whose batch statistics are
per rank).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from dagnas.errors import DagnasError, RunError

T = TypeVar("T")
Grads = Sequence[torch.Tensor | None]


@dataclass(frozen=True)
class Dist:
    """This process's place in a data-parallel run (rank 0 of 1 when alone)."""

    rank: int = 0
    world: int = 1

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's strided share of a batch: rows rank, rank + W, ... (⌊B/W⌋ rows)."""
        if not self.active:
            return batch
        x, y = batch
        used = len(y) // self.world * self.world
        if used == 0:
            raise RunError(
                f"a batch of {len(y)} cannot be split across {self.world} processes;"
                f" use --batch-size {self.world} or more"
            )
        return x[self.rank : used : self.world], y[self.rank : used : self.world]

    def average(self, grads: Grads, like: Sequence[torch.Tensor]) -> list[torch.Tensor | None]:
        """The mean over ranks of ``grads`` (None counts as zero; None where every rank has None).

        One ``all_reduce`` over a flat buffer that also carries, per tensor,
        whether the rank had a gradient.
        """
        if not self.active or not like:
            return list(grads)
        flat = [
            torch.zeros_like(p).flatten() if g is None else g.flatten()
            for g, p in zip(grads, like, strict=True)
        ]
        has = [float(g is not None) for g in grads]
        buf = torch.cat([*flat, torch.tensor(has, dtype=flat[0].dtype, device=flat[0].device)])
        dist.all_reduce(buf)
        out: list[torch.Tensor | None] = []
        offset = 0
        for p, had in zip(like, buf[-len(like) :].tolist(), strict=True):
            n = p.numel()
            out.append(buf[offset : offset + n].view_as(p) / self.world if had else None)
            offset += n
        return out

    def average_grads(self, params: Sequence[torch.nn.Parameter]) -> None:
        """Replace each ``p.grad`` by its mean over ranks."""
        if self.active:
            for p, g in zip(params, self.average([p.grad for p in params], params), strict=True):
                p.grad = g

    def part(self, data: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's strided share of all rows of ``data`` (for sums over ranks)."""
        if not self.active:
            return data
        return data[0][self.rank :: self.world], data[1][self.rank :: self.world]

    def broadcast(self, tensors: Sequence[torch.Tensor]) -> None:
        """Overwrite ``tensors`` in place with rank 0's (one flat broadcast per dtype)."""
        if not self.active:
            return
        by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
        for b in tensors:
            by_dtype.setdefault(b.dtype, []).append(b)
        for bufs in by_dtype.values():
            flat = torch.cat([b.detach().flatten() for b in bufs])
            dist.broadcast(flat, src=0)
            offset = 0
            with torch.no_grad():
                for b in bufs:
                    b.copy_(flat[offset : offset + b.numel()].view_as(b))
                    offset += b.numel()

    def agree(self, flags: Sequence[float], params: Sequence[torch.Tensor]) -> list[float]:
        """The maximum over ranks of ``flags``; RunError if finite ``params`` differ between ranks.

        One ``all_reduce(MAX)`` of ``[flags, p, -p]``: the parameters agree
        exactly when their maximum equals their minimum on every entry.
        """
        if not self.active:
            return list(flags)
        p = (
            torch.cat([t.detach().flatten() for t in params])
            if params
            else torch.zeros(0, device=_comm_device())
        )
        buf = torch.cat([torch.tensor(flags, dtype=p.dtype, device=p.device), p, -p])
        dist.all_reduce(buf, op=dist.ReduceOp.MAX)
        k, n = len(flags), len(p)
        high, low = buf[k : k + n], -buf[k + n :]
        if high.isfinite().all() and not torch.equal(high, low):  # non-finite: a divergence
            raise RunError(
                "the architecture parameters differ between ranks; a component changed α"
                " outside the averaged optimizer step (report this with the space and config)"
            )
        return buf[:k].tolist()

    def total(self, values: Sequence[float]) -> list[float]:
        """The sum over ranks of ``values`` (float64)."""
        if not self.active:
            return list(values)
        buf = torch.tensor(values, dtype=torch.float64, device=_comm_device())
        dist.all_reduce(buf)
        return buf.tolist()

    def on_main(self, fn: Callable[[], T]) -> T:
        """``fn()`` run on rank 0; its result (or its DagnasError) on every rank."""
        if not self.active:
            return fn()
        box: list[Any] = [None]
        if self.is_main:
            try:
                box = [(True, fn())]
            except DagnasError as e:
                box = [(False, e)]
        dist.broadcast_object_list(box, src=0)
        ok, value = box[0]
        if not ok:
            raise value
        return value


def _comm_device() -> torch.device:
    """Where a collective's own buffers live: the current GPU under nccl, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def current() -> Dist:
    """The running process group's rank and size (a lone process when there is none)."""
    if dist.is_available() and dist.is_initialized():
        return Dist(dist.get_rank(), dist.get_world_size())
    return Dist()


def launched() -> bool:
    """Whether torchrun (or another launcher) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@contextmanager
def process_group(device: str) -> Iterator[Dist]:
    """Join the process group torchrun set up (gloo on CPU, nccl on CUDA) for the block.

    Outside torchrun, or inside a group that already exists, it yields
    :func:`current` and changes nothing.
    """
    if not launched() or dist.is_initialized():
        yield current()
        return
    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        yield current()
    except BaseException:
        dist.destroy_process_group()
        raise
    # Leave together: a rank that tears its group down while another still
    # writes can abort in gloo's teardown ("terminate called without an
    # active exception"). After an error the others may never arrive, so no wait.
    dist.barrier()
    dist.destroy_process_group()


def launch(nproc: int, args: Sequence[str]) -> int:
    """Run ``python -m dagnas ARGS`` as ``nproc`` local processes: torchrun's launcher,
    in this process. Returns the exit status (a failed worker's, or 128 + the
    signal that stopped the run: Ctrl-C reaches the workers, which stop after
    their step and checkpoint, and torchrun waits for them)."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    try:
        torchrun(["--standalone", f"--nproc-per-node={nproc}", "-m", "dagnas", *args])
    except SignalException as e:
        return 128 + int(e.sigval)
    except ChildFailedError as e:
        return next(iter(e.failures.values())).exitcode or 1
    return 0
