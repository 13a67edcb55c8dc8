"""``python -m benchmarks``: the whole suite, one table (benchmarks/suite.py)."""

import sys

from benchmarks.suite import main

sys.exit(main())
