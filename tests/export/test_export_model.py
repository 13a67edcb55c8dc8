"""Standalone models: each exported file computes what the PyTorch module does."""

from __future__ import annotations

import sys

import pytest
import torch

from dagnas.compile import ChildNet
from dagnas.errors import DagnasError
from dagnas.export.dot import to_dot
from dagnas.export.genotype import parse_genotype
from dagnas.export.model import export_model
from tests.export.spaces import derived, space

SHAPE = (3, 8, 8)


@pytest.fixture(scope="module")
def arch():
    return derived(space("darts_digits"), 0, SHAPE)


@pytest.fixture(scope="module")
def trained(arch):
    """A child network whose BatchNorm statistics are not the defaults."""
    torch.manual_seed(0)
    model = ChildNet(arch)
    with torch.no_grad():
        model.train()(torch.randn(16, *SHAPE))
    return model


def load(fmt: str, path):
    if fmt == "pt2":
        return torch.export.load(path).module()
    if fmt == "torchscript":
        return torch.jit.load(path)
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda x: torch.from_numpy(session.run(None, {"x": x.numpy()})[0])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["pt2", "torchscript", "onnx"])
def test_exported_model_matches_the_module(arch, trained, fmt, tmp_path):
    if fmt == "onnx":
        pytest.importorskip("onnxscript")
    path = export_model(arch, fmt, tmp_path / f"model.{fmt}", model=trained)
    x = torch.randn(2, *SHAPE)
    with torch.no_grad():
        want = trained.eval()(x)
        got = load(fmt, path)(x)
    assert got.shape == (2, 10)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fmt", ["genotype", "nb201", "dot"])
def test_text_formats(arch, fmt, tmp_path):
    if fmt == "nb201":
        with pytest.raises(DagnasError, match="NAS-Bench-201-shaped"):
            export_model(arch, fmt, tmp_path / "a.txt")
        nb = derived(space("nb201"), 0, SHAPE)
        text = export_model(nb, fmt, tmp_path / "a.txt").read_text()
        assert text == nb.graph["nb201"] + "\n"
        return
    text = export_model(arch, fmt, tmp_path / "a.txt").read_text()
    if fmt == "genotype":
        assert parse_genotype(text).normal_concat == [2, 3, 4]
    else:
        assert text == to_dot(arch)


def test_unknown_format_and_missing_shape(arch, tmp_path):
    with pytest.raises(DagnasError, match="unknown export format 'tflite'"):
        export_model(arch, "tflite", tmp_path / "m")
    bare = arch.copy()
    del bare.graph["input_shape"]
    with pytest.raises(DagnasError, match="no input_shape"):
        export_model(bare, "pt2", tmp_path / "m.pt2")


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 8), (3, 8, 8, 8)])
def test_a_shape_the_network_cannot_take_is_named(arch, tmp_path, shape):
    with pytest.raises(DagnasError, match=r"built for inputs of shape \(3, 8, 8\)\) cannot take"):
        export_model(arch, "torchscript", tmp_path / "m.pt", shape)
    assert not (tmp_path / "m.pt").exists()


def test_torchscript_export_prints_no_deprecation_warnings(arch, tmp_path, recwarn):
    export_model(arch, "torchscript", tmp_path / "m.pt")
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_onnx_without_its_packages_says_how_to_install(arch, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(DagnasError, match=r"pip install 'dagnas\[onnx\]'"):
        export_model(arch, "onnx", tmp_path / "m.onnx")
