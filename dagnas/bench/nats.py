"""The official NATS-Bench API (``nats_bench`` on PyPI) over a benchmark the
user downloaded (its topology search space, ``tss``: NAS-Bench-201's cells).

A thin adapter: dagnas downloads nothing and is tested against a stand-in of
the API only; the benchmark files themselves were not available to test on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dagnas.errors import DagnasError

DATASETS = ("cifar10", "cifar10-valid", "cifar100", "ImageNet16-120")
#: the index file of a benchmark folder (the API adds ``.pbz2`` to a name it cannot find)
META = "meta.pickle.pbz2"


class NatsBench:
    """Look-ups in NATS-Bench's topology benchmark at ``path`` (a ``.pickle.pbz2``
    file or the ``NATS-tss-v1_0-3ffb9-simple`` directory), for ``dataset`` after
    ``hp`` training epochs ("12" or "200"), averaged over its seeds."""

    kind = "nb201"

    def __init__(
        self, path: str | os.PathLike[str], dataset: str = "cifar10", hp: str = "200"
    ) -> None:
        path = Path(path)
        if not path.exists():
            raise DagnasError(f"{path}: no such NATS-Bench file or directory")
        if dataset not in DATASETS:
            raise DagnasError(f"unknown NATS-Bench dataset '{dataset}' (known: {DATASETS})")
        try:
            import nats_bench
        except ImportError:
            raise DagnasError(
                "the NATS-Bench API is not installed: pip install 'dagnas[nats]'"
            ) from None
        if path.is_dir() and not (path / META).is_file():
            raise DagnasError(
                f"{path}: not a NATS-Bench topology folder: it has no {META} (the"
                f" NATS-tss-v1_0-3ffb9-simple folder holds {META} and one <index>.pickle.pbz2"
                " per architecture); pass that folder or the NATS-tss-v1_0-3ffb9.pickle.pbz2"
                " file"
            )
        self.name, self.dataset, self.hp = str(path), dataset, hp
        try:
            self.api: Any = nats_bench.create(
                str(path), "tss", fast_mode=path.is_dir(), verbose=False
            )
        except Exception as e:  # the API raises bare exceptions on foreign files
            raise DagnasError(f"{path}: NATS-Bench cannot open it ({e})") from None

    def lookup(self, text: str) -> dict[str, float]:
        index = self.api.query_index_by_arch(text)
        if index < 0:
            raise DagnasError(f"architecture {text} is not in NATS-Bench ({self.name})")
        info = self.api.get_more_info(index, self.dataset, hp=self.hp, is_random=False)
        return {k: float(v) for k, v in info.items() if isinstance(v, int | float)}
