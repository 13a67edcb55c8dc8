"""Export Architectures: node-link JSON, GraphML, PNG drawings, PyG ``Data``.

Every file is written atomically and is readable without dagnas.
"""

from dagnas.export.draw import draw
from dagnas.export.files import (
    read_architecture,
    read_json,
    write_architecture,
    write_graphml,
    write_json,
)
from dagnas.export.pyg import default_op_vocab, node_order, to_pyg

__all__ = [
    "default_op_vocab",
    "draw",
    "node_order",
    "read_architecture",
    "read_json",
    "to_pyg",
    "write_architecture",
    "write_graphml",
    "write_json",
]
