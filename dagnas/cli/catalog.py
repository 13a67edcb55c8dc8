"""``dagnas ops``: the registered ops (a plugin's included) and what each does."""

from __future__ import annotations

import click

from dagnas.cli.options import json_option


def describe_op(name: str) -> dict[str, str | bool]:
    """What op ``name`` does to its input: domain, width, stride, whether it is a zero op."""
    from dagnas.ops import OPS

    op = OPS.get(name)
    image = op.domain == "image"
    return {
        "op": name,
        "domain": op.domain,
        "width": "kept (c_out = c_in)" if op.same_width else "c_in → c_out",
        "stride": "applied (H, W ÷ stride)" if image else "none (vectors)",
        "zero": op.zero,
    }


@click.command()
@click.option(
    "--domain", type=click.Choice(["image", "vector", "any"]), help="Only ops of this domain."
)
@json_option()
def ops(domain: str | None, as_json: bool) -> None:
    """List the registered ops: domain (image/vector), what they do to width and
    stride, and which are zero ops (never computed; derivation rules skip them).

    An image DAG or cell uses image ops only; a vector DAG uses vector ops only.
    """
    from dagnas.cli.progress import echo_json, show_rows
    from dagnas.ops import OPS

    found = [describe_op(n) for n in OPS.names() if domain in (None, OPS.get(n).domain)]
    if as_json:
        echo_json(found)
        return
    columns = ["op", "domain", "width", "stride", "zero"]
    rows = [[str(d[c]) for c in columns[:4]] + ["zero op" if d["zero"] else ""] for d in found]
    show_rows("dagnas ops", columns, rows, False)
