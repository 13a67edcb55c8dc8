"""Check that a spec can run: lower it for the data it names and let its kind
refuse what could not be searched, derived and retrained (``dagnas validate``).

The spec model already refuses what is wrong on its own (unknown ops, cycles,
dangling nodes, unknown datasets); what needs the data's shape (widths, image
sizes, which edges exist) is checked when the spec is lowered, by its kind's
:meth:`~dagnas.kinds.SpaceKind.check`. ``check_spec`` lowers for the shape the
spec fixes (``input_shape``/``num_classes``) or the one of the dataset it
names, without reading any data. ``check_accel`` refuses a ``search.accel``
precision the device the spec resolves to here cannot autocast to, and
``check_data`` a data file or image folder that is not there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dagnas.accel import check_supported, device_for
from dagnas.data import dataset_key, npz_path
from dagnas.data.folder import LAYOUT
from dagnas.errors import DagnasError
from dagnas.spec.lower import SearchGraph, lower
from dagnas.spec.models import issue_at

#: input shape and classes of the datasets dagnas reads, known without reading them
DATA_SHAPES: dict[str, tuple[tuple[int, ...], int]] = {
    "digits": ((1, 8, 8), 10),
    "mnist": ((1, 28, 28), 10),
    "fashion_mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
    "cifar100": ((3, 32, 32), 100),
    "mnist1d": ((40,), 10),
}


def data_shape_of(spec: Any) -> tuple[tuple[int, ...], int] | None:
    """The input shape and classes ``spec`` runs on, when known without the data:
    its dataset's, else what the spec fixes; None for a folder or a file the
    spec gives no shapes for."""
    known = DATA_SHAPES.get(dataset_key(spec.search.data) or "")
    if known is not None:
        return known
    if spec.input_shape is None or spec.num_classes is None:
        return None
    return tuple(spec.input_shape), spec.num_classes


def check_accel(spec: Any) -> None:
    """A located SpecError when ``search.accel.precision`` cannot run on the device
    ``search.device`` names on this machine (fp16 where ``auto`` finds no GPU);
    ``cuda`` on a machine without one is the run's to refuse."""
    device = device_for(spec.search.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        return
    try:
        check_supported(spec.search.accel.precision, device)
    except DagnasError as e:
        raise issue_at(spec, ("search", "accel", "precision"), str(e)) from None


def check_data(spec: Any) -> None:
    """A located SpecError when ``search.data`` is a path (an ``.npz``, ``folder:PATH``)
    to nothing, found as the run would look for it, so that ``validate`` refuses what
    the run would. A dataset's files are not looked for: the run finds them in the
    ``--data-root`` it is given."""
    data, at = spec.search.data, ("search", "data")
    key = dataset_key(data)
    if key == "file":
        try:
            npz_path(data, spec.search.data_root)
        except DagnasError as e:
            raise issue_at(spec, at, str(e)) from None
    elif key == "folder":
        folder = data.partition(":")[2]
        if folder and not Path(folder).expanduser().is_dir():
            raise issue_at(
                spec, at, f"{folder}: no such image folder; give folder:ROOT for images in {LAYOUT}"
            )


def check_spec(spec: Any) -> SearchGraph | None:
    """Lower ``spec`` for its data (:func:`data_shape_of`): its SearchGraph, or
    None when the data's shape is not known before reading it. Raises the
    located :class:`~dagnas.errors.SpecError` of anything that could not run."""
    check_accel(spec)
    check_data(spec)
    found = data_shape_of(spec)
    return None if found is None else lower(spec, *found)
