"""How decided a derivation is: per choice, the chosen op's lead over the runner-up.

A search whose mixing weights end near uniform (e.g. 0.11–0.14 over 8 ops)
derives a cell that is close to arbitrary: any op could have been picked.
:func:`choice_margins` measures the lead on every choice and
:func:`near_uniform` says when most leads are too small to mean much, so a
run summary can say so.
"""

from __future__ import annotations

from collections.abc import Mapping

#: A margin below this (a difference of mixing weights, which sum to 1 per
#: choice) counts as tiny: the chosen op leads by less than 5 percentage points.
TINY_MARGIN = 0.05
#: A derivation is near uniform when more than this fraction of its margins are tiny.
TINY_FRACTION = 0.5


def choice_margins(
    mixing: Mapping[str, Mapping[str, float]], chosen: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Per choice key, the chosen op's weight minus the best other op's weight.

    ``mixing`` maps a choice key (an edge such as ``"normal:0->2"``, a dense
    stage's ``"s0:blocks"``) to each op's weight, as a line of ``alpha.jsonl``
    does. The chosen op is ``chosen[key]`` when given (then only those keys are
    measured, and a margin is negative where the rule did not pick the
    strongest op, as DARTS does when ``none`` leads), else the strongest op.
    A choice with a single op has margin equal to its weight.
    """
    margins = {}
    for key, row in mixing.items():
        if chosen is not None and key not in chosen:
            continue
        pick = chosen[key] if chosen is not None else max(row, key=row.__getitem__)
        others = [float(w) for op, w in row.items() if op != pick]
        margins[key] = float(row[pick]) - max(others, default=0.0)
    return margins


def near_uniform(
    margins: Mapping[str, float],
    threshold: float = TINY_MARGIN,
    fraction: float = TINY_FRACTION,
) -> bool:
    """Whether more than ``fraction`` of the ``margins`` are below ``threshold``.

    False when there are no margins (nothing was chosen).
    """
    if not margins:
        return False
    tiny = sum(m < threshold for m in margins.values())
    return tiny > fraction * len(margins)
