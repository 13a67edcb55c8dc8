"""Training a network: retraining a derived architecture from scratch, by a protocol.

``load_model(path)`` rebuilds a retrained network from its ``model.pt``.
"""

from dagnas.training.files import load_model
from dagnas.training.protocols import PROTOCOLS, Protocol, get_protocol

__all__ = ["PROTOCOLS", "Protocol", "get_protocol", "load_model"]
