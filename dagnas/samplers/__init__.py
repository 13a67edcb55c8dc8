"""DAG spaces and samplers for dense building blocks (METHODS.md §3).

A block is a DAG over ``l`` ordered layer vertices, stored as its sorted edge
tuple; :class:`DagConstraints` says which blocks a space admits, and blocks
are counted up to isomorphism with the source (0) and sink (l-1) fixed.
"""

from dagnas.samplers.base import SAMPLERS, DagSampler, make_sampler
from dagnas.samplers.blocks import (
    Block,
    DagConstraints,
    Edge,
    block_from_json,
    block_to_json,
    chain_block,
    from_networkx,
    is_connected,
    make_block,
    to_networkx,
)
from dagnas.samplers.density import DensitySampler
from dagnas.samplers.orbits import IsoSet, canonical_block, count_orderings, multiplicity
from dagnas.samplers.rejection import SizeEstimate, estimate_space_size
from dagnas.samplers.report import StageSample, sample_space, stage_constraints, stage_seed
from dagnas.samplers.space import MAX_ENUMERATE_VERTICES, enumerate_dags, space_size
from dagnas.samplers.uniform import UniformSampler

__all__ = [
    "MAX_ENUMERATE_VERTICES",
    "SAMPLERS",
    "Block",
    "DagConstraints",
    "DagSampler",
    "DensitySampler",
    "Edge",
    "IsoSet",
    "SizeEstimate",
    "StageSample",
    "UniformSampler",
    "block_from_json",
    "block_to_json",
    "canonical_block",
    "chain_block",
    "count_orderings",
    "enumerate_dags",
    "estimate_space_size",
    "from_networkx",
    "is_connected",
    "make_block",
    "make_sampler",
    "multiplicity",
    "sample_space",
    "space_size",
    "stage_constraints",
    "stage_seed",
    "to_networkx",
]
