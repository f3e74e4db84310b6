"""LSTMCell and LSTM: the gate equations, PyTorch's outputs and gradients to 1e-10, saving, and errors."""

import math
import random

import pytest

import engine
from engine import Value
from nn import RNN
from nn.recurrent import GATES, LSTM, LSTMCell


def random_sequence(steps, size, seed):
    rng = random.Random(seed)
    return [[rng.uniform(-1.0, 1.0) for _ in range(size)] for _ in range(steps)]


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# -------------------------------------------------------------------- the equations


def test_one_step_computes_the_gate_equations_in_pytorchs_order():
    cell = LSTMCell(2, 1, seed=0)
    x, h, c = [0.3, -0.7], 0.4, -0.2
    pre = {}
    for gate, _ in GATES:
        (unit,) = getattr(cell, gate)
        w = [v.data for v in unit.w]
        pre[gate] = w[0] * x[0] + w[1] * x[1] + unit.b_ih.data + w[2] * h + unit.b_hh.data
    i, f, o = sigmoid(pre["input_gate"]), sigmoid(pre["forget_gate"]), sigmoid(pre["output_gate"])
    g = math.tanh(pre["cell_gate"])
    c_new = f * c + i * g

    (h_out,), (c_out,) = cell(x, ([h], [c]))

    assert c_out.data == pytest.approx(c_new, abs=1e-15)
    assert h_out.data == pytest.approx(o * math.tanh(c_new), abs=1e-15)
    assert [gate for gate, _ in GATES] == ["input_gate", "forget_gate", "cell_gate", "output_gate"]


def test_the_cell_state_passes_back_through_the_forget_gate_alone():
    cell = LSTMCell(3, 4, seed=1)
    h = [Value(v) for v in (0.1, -0.2, 0.3, 0.4)]
    c = [Value(v) for v in (0.5, -0.6, 0.7, -0.8)]
    x = [0.2, -0.1, 0.9]
    _, c_new = cell(x, (h, c))
    engine.sum(c_new).backward()
    # d c_new[j] / d c[j] = f[j]: the forget gate's outputs, as the gate computes them from x and h
    f = [sigmoid(engine.dot(u.w, (*x, *(v.data for v in h)), u.b_ih).data + u.b_hh.data) for u in cell.forget_gate]
    assert [v.grad for v in c] == pytest.approx(f, abs=1e-15)


def test_each_gate_units_sum_is_one_dot_node_with_both_biases_as_parents():
    cell = LSTMCell(2, 3, seed=0)
    (h, _), (unit, *_) = cell([0.5, -0.5]), cell.output_gate
    dot_node = h[0].parents[0].parents[0]  # h = o * tanh(c); o = sigmoid(dot)
    assert dot_node.op == "dot"
    assert unit.b_ih in dot_node.parents and unit.b_hh in dot_node.parents


def test_h_and_c_start_at_zeros():
    cell = LSTMCell(2, 3, seed=0)
    def numbers(state):
        return [v.data for half in state for v in half]

    assert numbers(cell([0.5, 1.0])) == numbers(cell([0.5, 1.0], ([0.0] * 3, [0.0] * 3)))


# -------------------------------------------------------------------- parameters


def test_parameters_are_named_by_gate_unit_and_weight():
    lstm = LSTM(2, 3, nout=1, seed=0)
    names = [name for name, _ in lstm.named_parameters()]
    assert len(names) == 4 * 3 * (2 + 3 + 2) + (3 + 1)
    assert names[:2] == ["cell.input_gate.0.w.0", "cell.input_gate.0.w.1"]
    assert "cell.forget_gate.2.w.4" in names and "cell.cell_gate.1.b_ih" in names and "cell.output_gate.0.b_hh" in names
    assert names[-1] == "readout.neurons.0.b"
    assert lstm.cell.forget_gate[2].w[4].label == "cell.forget_gate.2.w.4"


def test_initialisation_is_pytorchs_uniform_and_seeded():
    cell = LSTMCell(3, 16, seed=0)
    bound = 1.0 / math.sqrt(16)
    numbers = [p.data for p in cell.parameters()]
    assert all(-bound <= x <= bound for x in numbers)
    assert max(numbers) > 0.9 * bound and min(numbers) < -0.9 * bound
    assert LSTMCell(3, 16, seed=0).state_dict() == cell.state_dict()
    assert LSTMCell(3, 16, seed=1).state_dict() != cell.state_dict()


def test_forget_bias_adds_to_the_forget_gates_first_biases_only():
    plain, opened = LSTMCell(2, 3, seed=0), LSTMCell(2, 3, seed=0, forget_bias=1.0)
    for gate, _ in GATES:
        for a, b in zip(getattr(plain, gate), getattr(opened, gate)):
            shift = 1.0 if gate == "forget_gate" else 0.0
            assert b.b_ih.data == pytest.approx(a.b_ih.data + shift, abs=1e-15)
            assert [b.b_hh.data, *(w.data for w in b.w)] == [a.b_hh.data, *(w.data for w in a.w)]
    assert repr(LSTM(1, 4, nout=1, forget_bias=1.0)) == "LSTM(1, 4, nout=1, forget_bias=1.0)"
    with pytest.raises(ValueError, match="forget_bias"):
        LSTMCell(2, 3, forget_bias=math.inf)


def test_save_then_load_into_a_fresh_lstm_gives_the_same_outputs(tmp_path):
    trained, fresh = LSTM(2, 3, nout=2, seed=0), LSTM(2, 3, nout=2, seed=1)
    sequence = random_sequence(5, 2, seed=2)
    before = [[v.data for v in step] for step in fresh(sequence)]
    trained.save(tmp_path / "lstm.json")
    fresh.load(tmp_path / "lstm.json")
    after = [[v.data for v in step] for step in fresh(sequence)]
    assert after == [[v.data for v in step] for step in trained(sequence)] != before


# -------------------------------------------------------------------- the same as PyTorch


@pytest.mark.parametrize("input_size, hidden_size, steps", [(1, 1, 3), (2, 3, 3), (3, 4, 10), (1, 6, 10)])
@pytest.mark.parametrize("nout", [None, 2])
def test_outputs_and_every_gradient_agree_with_torch(torch, input_size, hidden_size, steps, nout):
    lstm = LSTM(input_size, hidden_size, nout=nout, seed=0, forget_bias=0.5)
    sequence = random_sequence(steps, input_size, seed=1)
    rng = random.Random(2)
    h0 = [Value(rng.uniform(-1, 1)) for _ in range(hidden_size)]
    c0 = [Value(rng.uniform(-1, 1)) for _ in range(hidden_size)]
    outputs = lstm(sequence, (h0, c0))
    # Every step's outputs in the loss, each with its own weight, so that no gradient is a sum of equal parts.
    weights = [[rng.uniform(-1, 1) for _ in step] for step in outputs]
    engine.sum([w * o for ws, step in zip(weights, outputs) for w, o in zip(ws, step)]).backward()

    twin = lstm.to_torch()
    torch_h0, torch_c0 = (torch.tensor([[v.data for v in s]], requires_grad=True) for s in (h0, c0))
    lstm_part = twin if nout is None else twin.lstm
    hidden, _ = lstm_part(torch.tensor(sequence), (torch_h0, torch_c0))
    reference = hidden if nout is None else twin.readout(hidden)
    (reference * torch.tensor(weights)).sum().backward()

    assert [o.data for step in outputs for o in step] == pytest.approx(reference.flatten().tolist(), abs=1e-10)
    assert [v.grad for v in h0] == pytest.approx(torch_h0.grad.flatten().tolist(), abs=1e-10)
    assert [v.grad for v in c0] == pytest.approx(torch_c0.grad.flatten().tolist(), abs=1e-10)
    assert [p.grad for p in lstm.parameters()] == pytest.approx(torch_gradients(lstm, twin), abs=1e-10)


def torch_gradients(lstm, twin):
    """The twin's parameter gradients in the order of ``lstm.parameters()``: gate by gate, unit by unit, readout."""
    core = twin if lstm.readout is None else twin.lstm
    n = lstm.input_size
    weight_ih, weight_hh = core.weight_ih_l0.grad.tolist(), core.weight_hh_l0.grad.tolist()
    bias_ih, bias_hh = core.bias_ih_l0.grad.tolist(), core.bias_hh_l0.grad.tolist()
    grads = []
    for row in range(4 * lstm.hidden_size):
        grads += weight_ih[row][:n] + weight_hh[row] + [bias_ih[row], bias_hh[row]]
    if lstm.readout is not None:
        linear = twin.readout[0]
        for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            grads += row + [bias]
    return grads


def test_the_cell_twin_is_a_torch_lstm_cell_called_the_same_way(torch):
    cell = LSTMCell(3, 2, seed=0, forget_bias=1.0)
    x, h, c = [0.5, -0.3, 0.8], [0.1, -0.4], [0.6, 0.2]
    twin = cell.to_torch()
    assert isinstance(twin, torch.nn.LSTMCell) and twin.weight_ih.dtype == torch.float64
    ours = cell(x, (h, c))
    theirs = twin(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    for a, b in zip(ours, theirs):
        assert [v.data for v in a] == pytest.approx(b.tolist(), abs=1e-12)


def test_the_twin_takes_a_batch_of_sequences_as_fit_takes_them(torch):
    lstm = LSTM(2, 3, nout=1, seed=0)
    X = [random_sequence(4, 2, seed=k) for k in range(3)]
    twin = lstm.to_torch()
    batched = twin(torch.tensor(X))  # (N, steps, input_size): batch_first
    assert tuple(batched.shape) == (3, 4, 1)
    assert [o[0].data for s in X for o in lstm(s)] == pytest.approx(batched.flatten().tolist(), abs=1e-12)
    plain = LSTM(2, 3, seed=0).eval().to_torch()
    assert isinstance(plain, torch.nn.LSTM) and plain.batch_first and not plain.training


def test_the_twin_is_a_copy(torch):
    cell = LSTMCell(1, 2, seed=0)
    twin = cell.to_torch()
    cell.input_gate[0].w[0].data = 123.0
    assert twin.weight_ih[0, 0].item() != 123.0


# -------------------------------------------------------------------- errors


def test_wrong_sizes_say_what_was_expected_and_got():
    cell = LSTMCell(2, 3, seed=0)
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        cell([1.0])
    with pytest.raises(ValueError, match="expected a hidden state h of 3 values, got 2"):
        cell([1.0, 2.0], ([0.0, 0.0], [0.0] * 3))
    with pytest.raises(ValueError, match="expected a cell state c of 3 values, got 4"):
        cell([1.0, 2.0], ([0.0] * 3, [0.0] * 4))
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        LSTM(2, 3, seed=0)([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="hidden_size"):
        LSTM(2, 0)


@pytest.mark.parametrize("state", [[0.0, 0.0], [Value(0.0), Value(1.0)], ([0.0] * 2,), 5])
def test_a_state_that_is_not_a_pair_h_c_says_so(state):
    # An RNN's hidden state alone is the likely mistake when swapping an RNN for an LSTM.
    with pytest.raises(TypeError, match=r"state is a pair \(h, c\) of two lists of 2 values"):
        LSTMCell(1, 2, seed=0)([1.0], state)


# -------------------------------------------------------------------- as RNN is used


def test_an_lstm_is_called_as_an_rnn_is():
    sequence = random_sequence(3, 1, seed=0)
    for model in (RNN(1, 4, nout=1, seed=0), LSTM(1, 4, nout=1, seed=0)):
        outputs = model(sequence)
        assert len(outputs) == 3 and all(len(o) == 1 for o in outputs)
    assert len(LSTM(1, 4, seed=0)(sequence)[-1]) == 4  # without a readout: each step's h


def test_fit_trains_an_lstm_on_sequences():
    from nn import bce_with_logits, fit

    X = [[[1.0], [0.0]], [[0.0], [1.0]], [[1.0], [1.0]], [[0.0], [0.0]]]
    model = LSTM(1, 2, nout=1, seed=0)

    def last_step(outputs, targets):
        return bce_with_logits([steps[-1][0] for steps in outputs], targets)

    history = fit(model, X, [1, 0, 1, 0], last_step, epochs=30, batch_size=None, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]


def test_the_to_torch_function_gives_the_modules_own_twin(torch):
    import nn

    assert isinstance(nn.to_torch(LSTMCell(2, 3, seed=0)), torch.nn.LSTMCell)
    assert isinstance(nn.to_torch(LSTM(2, 3, seed=0)), torch.nn.LSTM)
    assert nn.LSTM is LSTM and nn.LSTMCell is LSTMCell
