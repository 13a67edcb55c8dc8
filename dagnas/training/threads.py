"""How many intra-op threads torch uses: a policy chosen per run, not torch's default.

Torch starts one intra-op thread per core it sees. On small supernets the
kernels are so short that the threads spend their time meeting each other,
and when another process holds one of the cores a thread that must wait for
a descheduled partner waits a whole scheduler slice; a run then slows down
many times over. So the default here is one thread unless the work per step
is large enough to pay for more, never more threads than the cores this
process may run on (``os.sched_getaffinity``: a cgroup or ``taskset`` limit),
and no more than the cores other processes leave idle (the kernel's count of
runnable threads, sampled when the work starts and again after every search
epoch). ``--threads N`` or the ``DAGNAS_THREADS`` environment variable
overrides it.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from dagnas.errors import DagnasError
from dagnas.measure.flops import count_macs

log = logging.getLogger(__name__)

ENV = "DAGNAS_THREADS"
#: Multiply-accumulates of one training step (forward, one batch) from which a
#: second thread pays for itself on an idle machine (``python -m benchmarks.load``
#: measures both thread counts on darts_digits's step and a larger one).
MACS_PER_THREAD = 5e7
LOADAVG = Path("/proc/loadavg")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # no sched_getaffinity (macOS, Windows)
        return max(os.cpu_count() or 1, 1)


def busy_cores(samples: int = 5, every: float = 0.02) -> float:
    """Threads of other processes runnable now: the median over a few samples of
    the kernel's runnable count (``/proc/loadavg``) less this process's one;
    where there is no such file, the one-minute load average."""
    try:
        counts = []
        for i in range(samples):
            counts.append(int(LOADAVG.read_text().split()[3].split("/")[0]) - 1)
            if i + 1 < samples:
                time.sleep(every)
        return float(max(statistics.median(counts), 0))
    except (OSError, IndexError, ValueError):
        try:
            return os.getloadavg()[0]
        except OSError:  # no load average on this platform either
            return 0.0


def idle_cores() -> float:
    """The available cores less the busy ones."""
    return available_cores() - busy_cores()


def requested_threads(given: int | None = None) -> int | None:
    """``given`` (a --threads option) or ``$DAGNAS_THREADS``; None when neither says."""
    if given is not None:
        if given < 1:
            raise DagnasError(f"--threads {given}: give a whole number of threads, 1 or more")
        return given
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise DagnasError(f"{ENV}={text!r}: give a whole number of threads, 1 or more")
    return value


def choose_threads(given: int | None = None, step_macs: float | None = None) -> int:
    """Threads for work of ``step_macs`` multiply-accumulates per step: the request
    if any, else one per :data:`MACS_PER_THREAD`, at most the idle cores (at least 1)."""
    asked = requested_threads(given)
    if asked is not None:
        return asked
    if step_macs is None:
        return 1
    by_work = step_macs // MACS_PER_THREAD
    return int(max(min(by_work, round(idle_cores()), available_cores()), 1))


def use_threads(given: int | None = None, step_macs: float | None = None) -> int:
    """Set torch's intra-op threads by :func:`choose_threads`; returns the number."""
    n = choose_threads(given, step_macs)
    if n != torch.get_num_threads():
        torch.set_num_threads(n)
    log.info("using %d intra-op thread(s) (step ≈ %.3g MACs)", n, step_macs or 0)
    return n


def use_threads_for(
    model: nn.Module, input_shape: tuple[int, ...], batch: int, given: int | None = None
) -> int:
    """:func:`use_threads` for training ``model`` on batches of ``batch`` examples of
    ``input_shape``; the forward that counts the work leaves torch's RNG as it was."""
    return use_threads(given, step_macs(model, input_shape, batch))


def step_macs(model: nn.Module, input_shape: tuple[int, ...], batch: int) -> int:
    """Multiply-accumulates of ``model``'s forward on a batch; the forward that
    counts them leaves torch's RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        return count_macs(model, input_shape) * batch
