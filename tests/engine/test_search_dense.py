"""The search loop on a dense-blocks space: resampling between epochs, history, resume."""

from __future__ import annotations

import json

import torch

from dagnas.compile import compile_supernet
from dagnas.data import load_dataset
from dagnas.engine.callbacks import RunRecorder
from dagnas.engine.loop import Searcher
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

SPACE = """\
kind: dense_blocks
stages: [{blocks: 4, vertices: 4, width: 16}]
resample: {every: 1, keep: 2}
search: {epochs: 2, batch_size: 128, arch: {lr: 0.05}}
"""


def make(tmp_path):
    spec = parse_spec(SPACE)
    data = load_dataset("digits")
    torch.manual_seed(0)
    model = compile_supernet(lower(spec, data.input_shape, data.num_classes))
    train, val = ([t[:256] for t in split.tensors] for split in (data.train, data.val))
    return Searcher(model, train, val, spec.search, tmp_path, [RunRecorder(tmp_path)])


def test_blocks_are_resampled_between_epochs_and_logged(tmp_path):
    searcher = make(tmp_path)
    first = list(searcher.model.body.stages[0].blocks)
    searcher.run()
    lines = [json.loads(s) for s in (tmp_path / "blocks.jsonl").read_text().splitlines()]
    assert [r["resampled"] for r in lines] == [True, False]  # none after the last epoch
    assert [b["edges"] for b in lines[0]["stages"]["s0"]["blocks"]] == [
        [list(e) for e in b] for b in first
    ]
    now = searcher.model.body.stages[0].blocks
    assert [b["edges"] for b in lines[1]["stages"]["s0"]["blocks"]] == [
        [list(e) for e in b] for b in now
    ]
    alphas = json.loads((tmp_path / "alpha.jsonl").read_text().splitlines()[-1])["weights"]
    assert [b["alpha"] for b in lines[1]["stages"]["s0"]["blocks"]] == list(
        alphas["s0:blocks"].values()
    )
    resumed = make(tmp_path)
    assert resumed.resume() and resumed.epoch == 2
    assert resumed.model.body.stages[0].blocks == now
    state = "body.samplers._extra_state"
    assert resumed.model.state_dict()[state] == searcher.model.state_dict()[state]


def test_pruning_relaxation_and_prime_regularizers_work_with_resampling(tmp_path):
    text = SPACE.replace(
        "arch: {lr: 0.05}", "arch: {lr: 0.05}, relaxation: clipped, regularizers: [proximity, admm]"
    )
    spec = parse_spec(text)
    data = load_dataset("digits")
    torch.manual_seed(0)
    graph = lower(spec, data.input_shape, data.num_classes)
    model = compile_supernet(graph, spec.search.relaxation.name)
    with torch.no_grad():  # prune slot 1; keep=2 drops it at the first resampling
        model.relaxation.alpha["s0:blocks"][1] = -1.0
    model.relaxation.after_weight_step()
    assert model.relaxation.live()["s0:blocks"][1] == 0
    old = list(model.body.stages[0].blocks)
    model.end_phase(model.relaxation.final(), 1, False)
    now = model.body.stages[0].blocks
    replaced = [s for s in range(4) if old[s] != now[s]]
    assert 1 in replaced
    assert model.relaxation.live()["s0:blocks"][replaced].eq(1).all()
    train, val = ([t[:256] for t in split.tensors] for split in (data.train, data.val))
    Searcher(model, train, val, spec.search, tmp_path).run()
    assert torch.isfinite(torch.stack(list(model.relaxation.final().values()))).all()


def three_steps(tmp_path, text: str, relaxation: str) -> Searcher:
    """A search of the space ``text`` after three steps (its optimizers have state)."""
    spec = parse_spec(text)
    data = load_dataset("digits")
    torch.manual_seed(0)
    model = compile_supernet(lower(spec, data.input_shape, data.num_classes), relaxation)
    train, val = ([t[:256] for t in split.tensors] for split in (data.train, data.val))
    searcher = Searcher(model, train, val, spec.search, tmp_path)
    for _ in range(3):
        searcher._one_step()
    return searcher


def resample(searcher: Searcher) -> tuple[list[int], list[int]]:
    """End the epoch (a resampling); the replaced and the kept slots."""
    old = list(searcher.model.body.stages[0].blocks)
    searcher._end_epoch()
    now = searcher.model.body.stages[0].blocks
    replaced = [s for s in range(len(old)) if now[s] != old[s]]
    return replaced, [s for s in range(len(old)) if s not in replaced]


def test_a_resampled_slot_starts_with_fresh_alpha_adam_moments_and_admm_state(tmp_path):
    with_admm = "arch: {lr: 0.05}, regularizers: [{name: admm, every: 1}]"
    text = SPACE.replace("arch: {lr: 0.05}", with_admm)
    searcher = three_steps(tmp_path, text, "dirichlet")
    model = searcher.model
    key, alpha = "s0:blocks", model.relaxation.alpha["s0:blocks"]
    admm = searcher.objective.regularizers[0]
    before = {
        "alpha": alpha.detach().clone(),
        **{n: t.clone() for n, t in searcher.a_opt.state[alpha].items()},
        "Z": admm.Z[key].clone(),
        "U": admm.U[key].clone(),
    }
    assert before["exp_avg"].ne(0).all() and before["U"].ne(0).any()
    replaced, kept = resample(searcher)
    assert len(replaced) == 2
    after = {
        "alpha": alpha.detach(),
        **searcher.a_opt.state[alpha],
        "Z": admm.Z[key],
        "U": admm.U[key],
    }
    for name, value in after.items():  # the other slots untouched
        assert torch.equal(value[kept], before[name][kept]), name
    for name in ("step", "exp_avg", "exp_avg_sq", "U"):
        assert after[name][replaced].eq(0).all(), name
    assert after["alpha"][replaced].abs().max() < 1e-2  # a fresh 1e-3·N(0, 1) draw
    assert torch.equal(after["Z"][replaced], model.relaxation.final()[key][replaced])
    # the next α step moves a fresh entry as a new Adam's first step does: lr·sign(g)
    start = alpha.detach().clone()
    alpha.grad = torch.tensor([0.3, -2.0, 5.0, -0.1])
    searcher.a_opt.step()
    moved = (alpha.detach() - start)[replaced]
    torch.testing.assert_close(moved, -0.05 * alpha.grad[replaced].sign())


def test_hypernet_resamples_with_fresh_rows_of_its_last_layer(tmp_path):
    text = SPACE.replace("arch: {lr: 0.05}", "relaxation: hypernet")
    searcher = three_steps(tmp_path, text, "hypernet")
    last = searcher.model.relaxation.nets["s0"][-1]
    before = last.weight.detach().clone()
    replaced, kept = resample(searcher)
    assert replaced and torch.equal(last.weight.detach()[kept], before[kept])
    assert last.weight.detach()[replaced].abs().max() < 1e-2
    assert searcher.a_opt.state[last.weight]["exp_avg"][replaced].eq(0).all()
    searcher.run()
    assert searcher.epoch == 2
