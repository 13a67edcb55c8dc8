"""DARTS genotypes: parse, print, presets, and Architecture round trips."""

from __future__ import annotations

import pytest

from dagnas.compile import ChildNet
from dagnas.errors import DagnasError
from dagnas.export.fixed import from_genotype
from dagnas.export.genotype import PRESETS, Genotype, genotype, parse_genotype, to_genotype
from dagnas.graph import canonical_hash, same_architecture
from dagnas.registry import Component
from tests.export.spaces import CIFAR, GENOTYPE_SPACES, derived, space


def node_sets(g: Genotype) -> list[object]:
    """Per cell: each node's pair of edges as a set, and the concat. An imported
    cell has no α to order a node's two edges by, so they compare as sets."""
    out: list[object] = []
    for cell in ("normal", "reduce"):
        edges, concat = g.cell(cell)
        out += [{*edges[k : k + 2]} for k in range(0, len(edges), 2)] + [concat]
    return out


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_print_back_as_published(name):
    assert repr(genotype(name)) == PRESETS[name]
    assert genotype(name.lower()) == genotype(name)


def test_parse_reads_log_lines_and_irregular_spacing():
    # P-DARTS's genotypes.py omits spaces after some commas
    text = (
        "genotype = Genotype(normal=[('skip_connect', 0),('sep_conv_3x3',1)], normal_concat="
        "range(2, 3), reduce=[('max_pool_3x3', 0), ('skip_connect', 1)], reduce_concat=[2])"
    )
    g = parse_genotype(text)
    assert g.normal == [("skip_connect", 0), ("sep_conv_3x3", 1)]
    assert g.normal_concat == range(2, 3) and g.reduce_concat == [2]
    assert repr(g).startswith("Genotype(normal=[('skip_connect', 0), ('sep_conv_3x3', 1)]")


@pytest.mark.parametrize(
    "text, says",
    [
        ("DARTS_V3", "did you mean 'DARTS_V2'"),
        ("Genotype(normal=[('a', 0)])", "expected the fields"),
        (
            "Genotype(normal=__import__('os'), normal_concat=[], reduce=[], reduce_concat=[])",
            "literal",
        ),
        (
            "Genotype(normal=[('a', 0), 1], normal_concat=[2], reduce=[], reduce_concat=[2])",
            "pairs",
        ),
        ("Genotype(normal=[(", "syntax error"),
    ],
)
def test_parse_errors_say_what(text, says):
    with pytest.raises(DagnasError, match=says.replace("(", r"\(")):
        genotype(text)


@pytest.mark.parametrize("name", GENOTYPE_SPACES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_derived_architecture_round_trips(name, seed):
    spec = space(name)
    arch = derived(spec, seed)
    g = to_genotype(arch)
    back = from_genotype(repr(g), spec, (3, 8, 8), 10, run=arch.graph["run"])
    assert canonical_hash(back) == canonical_hash(arch)
    assert same_architecture(back, arch)
    assert back.graph == arch.graph
    assert node_sets(to_genotype(back)) == node_sets(g)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_and_print_the_same_cells(name):
    arch = from_genotype(name, space("darts_cifar10"), *CIFAR)
    assert node_sets(to_genotype(arch)) == node_sets(genotype(name))


def test_darts_v2_at_paper_size_has_the_published_parameters():
    """DARTS's train.py counts parameters without the auxiliary head: 3.349342 MB."""
    spec = space("darts_cifar10", channels=36, layers=20)
    arch = from_genotype("DARTS_V2", spec, *CIFAR)
    assert sum(p.numel() for p in ChildNet(arch).parameters()) == 3_349_342


def test_op_aliases_are_mapped():
    g = genotype("DARTS_V2")
    nni = Genotype(
        [("sepconv3x3" if op == "sep_conv_3x3" else op, i) for op, i in g.normal],
        g.normal_concat,
        [("maxpool" if op == "max_pool_3x3" else op, i) for op, i in g.reduce],
        g.reduce_concat,
    )
    a = from_genotype(nni, space("darts_cifar10"), *CIFAR)
    assert canonical_hash(a) == canonical_hash(from_genotype(g, space("darts_cifar10"), *CIFAR))


@pytest.mark.parametrize(
    "edit, says",
    [
        (
            lambda g: g._replace(normal=[("conv_7x1_1x7", 0), *g.normal[1:]]),
            "unknown op 'conv_7x1_1x7'",
        ),
        (lambda g: g._replace(normal=[("nor_conv_3x3", 0), *g.normal[1:]]), "not a candidate"),
        (lambda g: g._replace(normal=g.normal[:6]), "needs 8 edges"),
        (lambda g: g._replace(reduce_concat=[2, 3]), "concat"),
        (lambda g: g._replace(normal=[("sep_conv_3x3", 2), *g.normal[1:]]), "earlier node"),
        (lambda g: g._replace(normal=[*g.normal[:1], g.normal[0], *g.normal[2:]]), "already"),
    ],
)
def test_genotype_that_does_not_fit_the_space_is_refused(edit, says):
    with pytest.raises(DagnasError, match=says):
        from_genotype(edit(genotype("DARTS_V2")), space("darts_cifar10"), *CIFAR)


def test_unknown_op_error_lists_the_known_ops():
    g = genotype("DARTS_V2")
    with pytest.raises(DagnasError, match=r"normal\[0\].*known ops: .*sep_conv_3x3"):
        from_genotype(
            g._replace(normal=[("sep_conv_7x7", 0), *g.normal[1:]]), space("darts_cifar10"), *CIFAR
        )


def test_wrong_space_kinds_are_refused():
    with pytest.raises(DagnasError, match="input_nodes: 2"):
        from_genotype("DARTS_V2", space("nb201"), *CIFAR)
    with pytest.raises(DagnasError, match="darts_cell"):
        from_genotype("DARTS_V2", space("mlp_dag"), (8,), 10)
    with pytest.raises(DagnasError, match="input_nodes 1"):
        to_genotype(derived(space("nb201"), 0))


def test_topk_one_cannot_hold_a_genotype():
    spec = space("darts_cifar10", derive=Component(name="topk", k=1))
    with pytest.raises(DagnasError, match="does not keep"):
        from_genotype("DARTS_V2", spec, *CIFAR)
