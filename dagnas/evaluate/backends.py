"""Where many trainings run: backends, registered by name.

A backend calls ``fn(item)`` for every item and hands each result to
``on_result`` as it completes, in this process. ``fn`` and the items must
be picklable for a backend that runs them elsewhere.

- ``local``: in this process (``workers=1``) or in ``workers`` spawned
  processes (``concurrent.futures``), each on one torch thread;
- ``ray``: ``fn`` as a Ray task (one CPU each) on the cluster at
  ``address``, or on a local Ray instance with ``workers`` CPUs. The
  cluster's workers must be able to import dagnas (installed there, or on
  their ``PYTHONPATH``).

Register another with ``@BACKENDS.register(name)`` on a function of the
same signature as :func:`run_local`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import torch

from dagnas.errors import DagnasError, RunError
from dagnas.registry import Registry
from dagnas.training.threads import ENV as THREADS_ENV

Task = Callable[[Any], Any]
OnResult = Callable[[Any], None]
#: ``backend(fn, items, workers, on_result, address)``
Backend = Callable[[Task, Sequence[Any], int, OnResult, str | None], None]
BACKENDS: Registry[Backend] = Registry("backend")


def on_one_thread(fn: Task, item: Any) -> Any:
    """``fn(item)`` on one torch thread (in a worker among others on the same cores)."""
    os.environ[THREADS_ENV] = "1"  # what the thread policy of the work inside reads
    torch.set_num_threads(1)
    return fn(item)


@BACKENDS.register("local")
def run_local(
    fn: Task, items: Sequence[Any], workers: int, on_result: OnResult, address: str | None
) -> None:
    """Run ``fn`` on ``items`` here (``workers`` ≤ 1) or in ``workers`` spawned processes."""
    if address is not None:
        raise DagnasError("--address is for the ray backend; add --backend ray")
    if workers <= 1:
        for item in items:
            on_result(fn(item))
        return
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        pending: set[Future[Any]] = {pool.submit(on_one_thread, fn, item) for item in items}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                on_result(f.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@BACKENDS.register("ray")
def run_ray(
    fn: Task, items: Sequence[Any], workers: int, on_result: OnResult, address: str | None
) -> None:
    """Run ``fn`` on ``items`` as Ray tasks (one CPU each) on ``address`` or a local instance."""
    try:
        import ray
    except ImportError as e:
        raise RunError("the ray backend needs Ray: pip install 'dagnas[ray]'") from e
    started = not ray.is_initialized()
    if started:
        cpus = None if address else max(workers, 1)
        try:
            # "local": a fresh instance, even when another cluster runs on this machine
            ray.init(
                address=address or "local",
                num_cpus=cpus,
                include_dashboard=False,
                log_to_driver=False,
            )
        except (ConnectionError, RuntimeError) as e:
            raise RunError(
                f"cannot connect to the Ray cluster at {address}: {str(e).splitlines()[0]}; "
                "check the address (or use --address auto on a cluster node), and that this "
                "process uses the cluster's Ray auth settings (RAY_AUTH_MODE, token)"
            ) from e
    try:
        task = ray.remote(num_cpus=1)(on_one_thread)
        pending = [task.remote(fn, item) for item in items]
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            on_result(ray.get(finished[0]))
    finally:
        if started:
            ray.shutdown()
