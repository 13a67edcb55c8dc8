"""Measurements of a network: parameters (from the graph alone) and FLOPs."""
