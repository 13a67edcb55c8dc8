"""The spec loader against many generated hostile YAML documents (long run).

The strategies and the contract are the test suite's
(``tests/spec/spec_fuzz.py``): every document validates, or ``parse_spec``
raises a SpecError located in the file. Hypothesis stops at the first
document that breaks the contract and shrinks it; the JSON records how many
documents ran, how they ended, and the failure if there was one.

    python -m benchmarks.fuzz_spec --examples 20000 --out fuzz_spec.json
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.spec.spec_fuzz import documents, outcome


def fuzz(examples: int, seed: int | None) -> dict:
    """Run ``examples`` documents; counts of outcomes and the failure, if any."""
    seen: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
    )
    @given(documents())
    def check(text: str) -> None:
        seen["documents"] += 1
        seen[outcome(text)] += 1

    if seed is not None:
        check._hypothesis_internal_use_seed = seed
    start = time.perf_counter()
    failure = None
    try:
        check()
    except Exception:
        failure = traceback.format_exc(limit=8)
    return {
        "examples_asked": examples,
        "seed": seed,
        **seen,
        "seconds": round(time.perf_counter() - start, 1),
        "failure": failure,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--seed", type=int, help="random seed (default: derandomised)")
    parser.add_argument("--out", type=Path, default=Path("fuzz_spec.json"))
    args = parser.parse_args()
    result = fuzz(args.examples, args.seed)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "failure"}))
    if result["failure"]:
        print(result["failure"])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
