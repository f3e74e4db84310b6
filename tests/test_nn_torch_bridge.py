"""to_torch: the same network in PyTorch float64, with outputs and gradients equal to 1e-12."""

import random
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from nn import ACTIVATIONS, MLP, RNN, Dropout, Layer, Neuron, Sequential, to_torch


# Every activation, but those defined only for x > 0 (log, sqrt): a hidden layer's sums go negative.
SMOOTH_EVERYWHERE = [name for name in ACTIVATIONS if name not in ("log", "sqrt", "linear")]


@pytest.mark.parametrize("activation", SMOOTH_EVERYWHERE)
def test_outputs_and_parameter_gradients_agree(torch, activation):
    model = MLP(3, [5, 4, 2], activation=activation, output_activation="sigmoid", seed=0)
    rng = random.Random(1)
    for p in model.parameters():
        p.data += rng.uniform(-0.3, 0.3)  # biases too, so that nothing sits at 0
    net = model.to_torch()
    assert all(p.dtype == torch.float64 for p in net.parameters())
    inputs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]

    outputs = [model(x) for x in inputs]
    engine.sum([o * (i + 1) for row in outputs for i, o in enumerate(row)]).backward()
    reference = net(torch.tensor(inputs))
    (reference * torch.tensor([1.0, 2.0])).sum().backward()

    assert [o.data for row in outputs for o in row] == pytest.approx(reference.flatten().tolist(), rel=1e-12, abs=1e-12)
    torch_grads = []
    for linear in (m for m in net if isinstance(m, torch.nn.Linear)):
        for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            torch_grads += row + [bias]
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads, rel=1e-12, abs=1e-12)


def test_the_layers_map_one_to_one(torch):
    net = Sequential(Layer(2, 3, seed=0), Dropout(0.2), Layer(3, 1, activation="linear", seed=1)).to_torch()
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert net[2].p == 0.2 and net.training
    assert not MLP(2, [2, 1], seed=0).eval().to_torch().training
    single = to_torch(Neuron(2, activation="tanh", seed=0))
    assert [type(m).__name__ for m in single] == ["Linear", "Tanh"]


def test_the_copy_is_independent(torch):
    model = MLP(2, [2, 1], seed=0)
    net = model.to_torch()
    model.layers[0].neurons[0].w[0].data = 123.0
    assert net[0].weight[0, 0].item() != 123.0


def test_a_module_without_a_torch_equivalent_is_a_type_error(torch):
    with pytest.raises(TypeError, match="RNN"):
        RNN(2, 3).to_torch()


def test_every_activation_has_a_torch_twin(torch):
    for name in ACTIVATIONS:
        net = MLP(2, [3, 1], activation=name, seed=0).to_torch()
        assert name == "linear" or name in repr(net).lower().replace("leakyrelu", "leaky_relu")


def test_import_nn_never_imports_torch_matplotlib_or_tqdm():
    code = "import nn, sys; print(sorted(m for m in ('torch', 'matplotlib', 'tqdm') if m in sys.modules))"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes "import torch" fail
    with pytest.raises(ImportError, match="pip install torch"):
        MLP(2, [1]).to_torch()
