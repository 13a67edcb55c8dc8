"""Method presets: resolution by name, did-you-mean, and how they rewrite a spec."""

from __future__ import annotations

import pytest

from dagnas.errors import DagnasError
from dagnas.spec import load_space, parse_spec
from dagnas.spec.overrides import apply_overrides
from dagnas.workflows.methods import apply_method, parse_methods, resolve_method


def test_crb_rewrites_search_and_sets_node_norm():
    spec = load_space("spaces/darts_digits.yaml")
    new = apply_method(spec, resolve_method("crb"), seed=3, epochs=2, max_steps=None)
    s = new.search
    assert (s.relaxation.name, s.schedule.name) == ("clipped", "dynamic")
    assert [r.name for r in s.regularizers] == ["proximity"]
    assert s.regularizers[0].options == {"rho": 0.1}  # defaults filled in by validation
    assert s.schedule.options == {"e": 0.2, "thr0": 1.0, "m": 1.05, "f": 10}
    assert abs(s.val_fraction - 1 / 11) < 1e-12
    assert new.node_norm and not spec.node_norm
    assert (s.seed, s.epochs) == (3, 2)
    # `arch` merges: the space's lr stays, the optimizer is set
    assert (s.arch.optimizer, s.arch.lr) == ("adam", spec.search.arch.lr)


def test_a_relaxation_name_is_a_method_with_darts_defaults():
    spec = load_space("spaces/darts_digits.yaml")
    crb = apply_method(spec, resolve_method("crb"))
    back = apply_method(crb, resolve_method("softmax"))
    assert back.search.relaxation.name == "softmax"
    assert back.search.schedule.name == "alternate" and back.search.regularizers == []


def test_space_fields_apply_only_where_the_kind_has_them():
    spec = load_space("spaces/mlp_dag.yaml")
    new = apply_method(spec, resolve_method("crb"))
    assert new.search.relaxation.name == "clipped" and not hasattr(new, "node_norm")


def test_unknown_method_lists_known_ones_with_a_suggestion():
    with pytest.raises(DagnasError) as e:
        parse_methods("darts,crbb")
    msg = str(e.value)
    assert "unknown method 'crbb'" in msg and "did you mean 'crb'" in msg
    assert "darts" in msg and "softmax" in msg and "clipped" in msg


def test_method_list_must_be_non_empty_and_distinct():
    with pytest.raises(DagnasError, match="empty"):
        parse_methods(" , ")
    with pytest.raises(DagnasError, match="twice"):
        parse_methods("darts,darts")


def test_a_method_that_does_not_fit_the_space_is_a_clear_error():
    spec = parse_spec(
        "kind: dag\nnodes: [{name: x, role: input}, {name: y, role: output}]\n"
        "edges: [{from: x, to: y, ops: [linear]}]\n"
    )
    bad = resolve_method("darts")
    broken = type(bad)("broken", "x", {"schedule": {"name": "alternate", "every": 0}})
    with pytest.raises(DagnasError, match="method 'broken' does not fit space"):
        apply_method(spec, broken)


def test_the_shipped_prime_space_is_darts_digits_with_the_crb_preset():
    prime = load_space("spaces/darts_digits_prime.yaml")
    crb = apply_method(load_space("spaces/darts_digits.yaml"), resolve_method("crb"))
    a, b = prime.search.model_dump(), crb.search.model_dump()
    assert abs(a.pop("val_fraction") - b.pop("val_fraction")) < 1e-4
    assert a == b
    assert prime.node_norm and crb.node_norm
    assert prime.model_dump(exclude={"search", "name", "description"}) == crb.model_dump(
        exclude={"search", "name", "description"}
    )


def test_the_hypernet_derives_each_lambdas_block_from_alpha_on_dense_spaces():
    dense = load_space("spaces/dense5_digits.yaml")
    assert dense.derive.name == "one_shot"
    new = apply_method(dense, resolve_method("hypernet"))
    assert (new.search.relaxation.name, new.derive.name) == ("hypernet", "best_block")
    cell = apply_method(load_space("spaces/darts_digits.yaml"), resolve_method("hypernet"))
    assert cell.derive.name == "topk"  # other kinds keep their rule


def test_one_shot_with_a_hypernet_is_refused_with_the_fix():
    text = (
        "kind: dense_blocks\nstages:\n  - {blocks: 3, vertices: 4, width: 8}\n"
        "derive: one_shot\nsearch: {relaxation: hypernet}\n"
    )
    with pytest.raises(DagnasError) as err:
        parse_spec(text)
    msg = str(err.value)
    assert "<string>:4: derive:" in msg and "every λ would get the same block" in msg
    assert "derive: best_block" in msg


def test_method_darts_on_a_fairdarts_spec_is_plain_darts():
    """A spec searching with FairDARTS gets its Adam lr and betas filled in;
    --method darts (or --set search.relaxation=softmax) must bring DARTS's own
    (3e-4, betas 0.5), not keep FairDARTS's, while what the user set stays."""
    fair = apply_overrides(load_space("spaces/mlp_dag.yaml"), {"search.relaxation": "sigmoid"})
    assert (fair.search.arch.lr, fair.search.arch.betas) == (3e-3, (0.9, 0.999))
    for spec in (
        apply_method(fair, resolve_method("darts")),
        apply_overrides(fair, {"search.relaxation": "softmax"}),
    ):
        assert spec.search.relaxation.name == "softmax"
        assert (spec.search.arch.lr, spec.search.arch.betas) == (3e-4, (0.5, 0.999))
    given = apply_method(fair, resolve_method("darts"), arch={"lr": 0.02}).search
    assert given.arch.lr == 0.02 and given.arch.betas == (0.5, 0.999)
    kept = apply_overrides(
        apply_overrides(fair, {"search.arch.lr": 0.02}), {"search.relaxation": "softmax"}
    )
    assert kept.search.arch.lr == 0.02 and kept.search.arch.betas == (0.5, 0.999)
