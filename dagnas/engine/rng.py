"""The global random number generators' state, as a checkpoint stores it.

Python's, NumPy's and torch's (and CUDA's, on a GPU), as tensors and JSON
strings, so that ``torch.load(weights_only=True)`` reads them back.
"""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    """Every global RNG's state: ``rng_torch``, ``rng_python``, ``rng_numpy``, ``rng_cuda``."""
    numpy = np.random.get_state(legacy=False)
    numpy["state"]["key"] = numpy["state"]["key"].tolist()
    return {
        "rng_torch": torch.get_rng_state(),
        "rng_python": json.dumps(random.getstate()),
        "rng_numpy": json.dumps(numpy),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Put every global RNG back where :func:`rng_state` found it (CUDA's only
    on as many devices as it was saved from)."""
    torch.set_rng_state(state["rng_torch"])
    py = json.loads(state["rng_python"])
    random.setstate((py[0], tuple(py[1]), py[2]))
    numpy = json.loads(state["rng_numpy"])
    numpy["state"]["key"] = np.asarray(numpy["state"]["key"], dtype=np.uint32)
    np.random.set_state(numpy)
    if state["rng_cuda"] and len(state["rng_cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
