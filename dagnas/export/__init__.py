"""Export Architectures: node-link JSON, GraphML, PNG drawings, PyG ``Data``.

Every file is written atomically and is readable without dagnas.
"""

from dagnas.export.atomic import atomic_write_bytes
from dagnas.export.draw import draw
from dagnas.export.files import read_json, write_architecture, write_graphml, write_json
from dagnas.export.pyg import default_op_vocab, node_order, to_pyg

__all__ = [
    "atomic_write_bytes",
    "default_op_vocab",
    "draw",
    "node_order",
    "read_json",
    "to_pyg",
    "write_architecture",
    "write_graphml",
    "write_json",
]
