"""Versions of what dagnas writes, in a module that imports nothing (the
evaluations store reads them without importing torch).

- :data:`HASH_SCHEME`: the scheme of :func:`dagnas.graph.canonical_hash`,
  bumped whenever the hash of some architecture changes (what it covers, or
  networkx's WL hash), so that hashes of different schemes are never compared.
  Recorded in ``summary.json`` and in the store's ``meta`` table.
- :data:`STORE_SCHEMA`: the version of the evaluations store's tables.
"""

HASH_SCHEME = 2
STORE_SCHEMA = 1
