"""nn modules: naming, the neuron's one-node forward, initialisation, modes, dropout, residuals, RNNs."""

import math
import random
import statistics

import pytest

import engine
from engine import Value
from nn import ACTIVATIONS, MLP, RNN, Dropout, Layer, Module, Neuron, Residual, RNNCell, Sequential


# -------------------------------------------------------------------- naming


def test_named_modules_are_pre_order_with_the_root_first():
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_modules()]
    assert names == [
        "",
        "layers.0",
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.0.neurons.2",
        "layers.1",
        "layers.1.neurons.0",
    ]
    modules = dict(model.named_modules())
    assert modules[""] is model and modules["layers.0.neurons.2"] is model.layers[0].neurons[2]


def test_named_parameters_name_every_weight_and_set_labels():
    model = MLP(2, [3, 1], seed=0)
    named = model.named_parameters()
    names = [name for name, _ in named]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == (2 + 1) * 3 + (3 + 1)
    assert all(value.label == name for name, value in named)
    assert model.layers[1].neurons[0].w[2].label == "layers.1.neurons.0.w.2"
    assert model.parameters() == [value for _, value in named]


def test_asking_a_sub_module_never_shortens_the_models_labels():
    model = MLP(2, [3, 1], seed=0)
    model.parameters()
    model.layers[1].parameters()  # names relative to the layer: "neurons.0.w.2"
    assert model.layers[1].neurons[0].w[2].label == "layers.1.neurons.0.w.2"
    custom = model.layers[0].neurons[0].b
    custom.label = "my bias"
    model.parameters()
    assert custom.label == "my bias"
    fresh = MLP(2, [3, 1], seed=0)
    fresh.layers[1].parameters()  # a sub-module first, then the whole model: the longer name wins
    fresh.parameters()
    assert fresh.layers[1].neurons[0].b.label == "layers.1.neurons.0.b"


def test_a_custom_module_is_found_through_its_attributes():
    class TwoHeads(Module):
        def __init__(self):
            self.trunk = Layer(2, 4, seed=0)
            self.heads = [Neuron(4, "linear", seed=1), Neuron(4, "linear", seed=2)]
            self.scale = Value(1.0)
            self._cache = [Value(5.0)]  # private: not a parameter

        def __call__(self, x):
            h = self.trunk(x)
            return [head(h) * self.scale for head in self.heads]

    model = TwoHeads()
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "scale" and "heads.1.b" in names and "trunk.neurons.3.w.1" in names
    assert len(names) == 1 + 4 * 3 + 2 * 5
    assert [name for name, _ in model.named_modules()][:3] == ["", "trunk", "trunk.neurons.0"]


def test_a_shared_module_and_its_parameters_are_listed_once():
    shared = Layer(2, 2, activation="linear", seed=0)
    model = Sequential(shared, shared)
    assert [name for name, _ in model.named_modules()] == ["", "layers.0", "layers.0.neurons.0", "layers.0.neurons.1"]
    assert len(model.parameters()) == 6


# -------------------------------------------------------------------- forward


def test_a_neuron_is_one_dot_node_with_the_bias_folded_in():
    n = Neuron(3, activation="relu", seed=0)
    n.b.data = 10.0  # so that relu passes the sum through
    out = n([1.0, 2.0, 3.0])
    assert out.op == "relu"
    (weighted_sum,) = out.parents
    assert weighted_sum.op == "dot"
    assert weighted_sum.parents == (*n.w, n.b)
    expected = sum(w.data * x for w, x in zip(n.w, [1.0, 2.0, 3.0])) + 10.0
    assert out.data == pytest.approx(expected, abs=1e-12)


def test_assigning_weights_is_checked_and_used_by_the_next_forward_pass():
    n = Neuron(2, activation="linear", seed=0)
    layer = Layer(2, 1, activation="linear", seed=0)
    layer.neurons[0].w = [Value(2.0), Value(-1.0)]  # a list is stored as a tuple
    layer.neurons[0].b = Value(0.5)
    assert isinstance(layer.neurons[0].w, tuple)
    assert layer([3.0, 4.0])[0].data == 2.5
    assert [name for name, _ in layer.named_parameters()] == ["neurons.0.w.0", "neurons.0.w.1", "neurons.0.b"]
    with pytest.raises(ValueError, match="nin=2 needs 2 weights in w, got 1"):
        n.w = (Value(1.0),)
    with pytest.raises(TypeError, match=r"must hold Values, but w\[1\] is float: 2.0"):
        n.w = (Value(1.0), 2.0)
    with pytest.raises(TypeError, match="w must be a sequence of 2 Values, got Value"):
        n.w = Value(1.0)
    with pytest.raises(TypeError, match="b must be a Value"):
        n.b = 0.5
    assert n([1.0, 1.0]).parents == (*n.w, n.b)  # the failed assignments changed nothing


def test_a_neuron_of_the_wrong_size_swapped_into_a_layer_is_an_error():
    layer = Layer(2, 2, activation="linear", seed=0)
    layer.neurons[1] = Neuron(3, activation="linear", seed=0)
    for x in ([1.0, 2.0], [Value(1.0), Value(2.0)]):
        with pytest.raises(ValueError, match="neuron 1 has 3 weights but gets 2 inputs"):
            layer(x)


@pytest.mark.parametrize("x", [[1, 2], (1.0, 2.0), [Value(1.0), Value(2.0)], [Value(1.0), 2]])
def test_a_layer_takes_ints_floats_values_and_a_mix(x):
    layer = Layer(2, 3, activation="linear", seed=0)
    numbers = [xi.data if isinstance(xi, Value) else float(xi) for xi in x]
    expected = [sum(w.data * xi for w, xi in zip(n.w, numbers)) + n.b.data for n in layer.neurons]
    assert [z.data for z in layer(x)] == pytest.approx(expected, abs=1e-12)
    for bad in ([1.0, "2"], [Value(1.0), "2"]):
        with pytest.raises(TypeError, match=r"input must be a real number .* got str: '2'"):
            layer(bad)


def test_a_linear_neuron_adds_no_node_after_the_sum():
    n = Neuron(2, activation="linear", seed=0)
    out = n([Value(1.0), Value(2.0)])
    assert out.op == "dot" and len(out.parents) == 2 + 2 + 1


@pytest.mark.parametrize(
    "activation, f",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("leaky_relu", lambda z: z if z > 0 else 0.01 * z),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_each_activation_applies_its_function(activation, f):
    layer = Layer(2, 6, activation=activation, seed=3)
    rng = random.Random(5)
    for n in layer.neurons:
        n.b.data = rng.uniform(-1, 1)
    x = (0.7, -1.3)
    outputs = layer(x)
    for n, out in zip(layer.neurons, outputs):
        z = n.w[0].data * x[0] + n.w[1].data * x[1] + n.b.data
        assert out.data == pytest.approx(f(z), abs=1e-12)
        assert n(x).data == out.data  # the layer's loop computes exactly what each neuron does


def test_the_activations_are_the_engines_functions_and_linear():
    assert set(ACTIVATIONS) == {function.__name__ for function in engine.FUNCTIONS} | {"linear"}
    n = Neuron(2, activation="exp", seed=0)
    out = n([0.5, -0.25])
    assert out.op == "exp" and out.data == pytest.approx(math.exp(out.parents[0].data), rel=1e-15)


def test_a_forward_hook_sees_every_call_until_removed():
    layer = Layer(2, 3, activation="tanh", seed=0)
    seen = []
    handle = layer.register_forward_hook(lambda module, x, outputs: seen.append((module, x, outputs)))
    out = layer([1.0, 2.0])
    ((module, x, outputs),) = seen
    assert module is layer and x == [1.0, 2.0] and outputs is out
    handle.remove()
    handle.remove()  # removing twice is harmless
    layer([1.0, 2.0])
    assert len(seen) == 1


def test_the_elementary_graph_gives_the_same_values_and_gradients():
    fused = MLP(3, [4, 2], activation="tanh", seed=7)
    elementary = MLP(3, [4, 2], activation="tanh", seed=7, elementary=True)
    x = [Value(0.3), Value(-0.8), Value(1.1)]
    out_fused, out_elementary = engine.sum(fused(x)), engine.sum(elementary(x))
    assert out_elementary.data == pytest.approx(out_fused.data, abs=1e-12)
    out_fused.backward()
    grads_fused = [p.grad for p in fused.parameters()] + [xi.grad for xi in x]
    for xi in x:
        xi.grad = 0.0
    out_elementary.backward()
    grads_elementary = [p.grad for p in elementary.parameters()] + [xi.grad for xi in x]
    assert grads_elementary == pytest.approx(grads_fused, abs=1e-12)
    ops = {node.op for node in engine.topological_order(out_elementary)}
    assert "*" in ops and "+" in ops and "dot" not in ops
    assert "dot" in {node.op for node in engine.topological_order(out_fused)}


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    outputs = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 3


@pytest.mark.parametrize(
    "model, x",
    [
        (Neuron(2, seed=0), [1.0, 2.0, 3.0]),
        (Layer(2, 3, seed=0), [1.0]),
        (Layer(2, 3, seed=0, elementary=True), [1.0]),
        (MLP(2, [4, 1], seed=0), [1.0, 2.0, 3.0]),
        (RNNCell(2, 3, seed=0), [1.0]),
    ],
)
def test_the_wrong_number_of_inputs_says_expected_and_got(model, x):
    with pytest.raises(ValueError, match=f"expected 2 inputs, got {len(x)}"):
        model(x)


def test_bad_sizes_and_names_are_value_errors():
    with pytest.raises(ValueError, match="nin"):
        Neuron(0)
    with pytest.raises(ValueError, match="nout"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="sizes"):
        MLP(2, [])
    with pytest.raises(ValueError, match="'swish'"):
        Neuron(2, activation="swish")
    with pytest.raises(ValueError, match="'glorot'"):
        Neuron(2, init="glorot")


@pytest.mark.parametrize("sizes", [[2], [3, 2], [4, 4, 1]])
def test_an_unknown_activation_is_refused_however_many_layers(sizes):
    # With one layer there is no hidden layer to apply it to, but the name is still a mistake.
    with pytest.raises(ValueError, match="unknown activation 'x'; choose one of 'exp', .*'relu'.*'linear'"):
        MLP(2, sizes, activation="x")
    with pytest.raises(ValueError, match="unknown activation 'y'"):
        MLP(2, sizes, output_activation="y")


# -------------------------------------------------------------------- initialisation


def test_a_seed_reproduces_the_weights_and_leaves_the_global_random_state_alone():
    state = random.getstate()
    a = [p.data for p in MLP(4, [8, 3], seed=11).parameters()]
    b = [p.data for p in MLP(4, [8, 3], seed=11).parameters()]
    c = [p.data for p in MLP(4, [8, 3], seed=12).parameters()]
    assert random.getstate() == state
    assert a == b and a != c
    # no two neurons of a network start the same
    rows = [tuple(w.data for w in n.w) for layer in MLP(4, [8, 8], seed=11).layers for n in layer.neurons]
    assert len(set(rows)) == len(rows)


def test_init_schemes_have_their_spread():
    nin = 4000
    he = [w.data for w in Neuron(nin, init="he", seed=1).w]
    assert statistics.pstdev(he) == pytest.approx(math.sqrt(2.0 / nin), rel=0.05)
    assert abs(statistics.fmean(he)) < 5 * math.sqrt(2.0 / nin) / math.sqrt(nin)  # five standard errors
    layer = Layer(nin, 50, init="xavier", seed=1)
    bound = math.sqrt(6.0 / (nin + 50))
    xavier = [w.data for n in layer.neurons for w in n.w]
    assert max(map(abs, xavier)) <= bound and max(map(abs, xavier)) > 0.99 * bound
    uniform = [w.data for w in Neuron(nin, init="uniform", seed=1).w]
    assert max(map(abs, uniform)) <= 1.0 and statistics.pstdev(uniform) == pytest.approx(1 / math.sqrt(3), rel=0.05)
    assert all(n.b.data == 0.0 for n in layer.neurons)


# -------------------------------------------------------------------- modes, gradients


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_reach_every_module():
    model = Sequential(Layer(2, 4, seed=0), Dropout(0.5), Residual(Layer(4, 4, seed=1)))
    assert model.eval() is model
    assert all(not module.training for _, module in model.named_modules())
    model.train()
    assert all(module.training for _, module in model.named_modules())


def test_dropout_drops_a_fraction_p_and_scales_the_rest():
    drop = Dropout(0.25, seed=0)
    x = [Value(1.0) for _ in range(4000)]
    out = drop(x)
    dropped = sum(1 for v in out if v.data == 0.0)
    assert dropped / len(x) == pytest.approx(0.25, abs=0.03)
    assert {v.data for v in out} == {0.0, 1.0 / 0.75}
    engine.sum(out).backward()
    assert {xi.grad for xi, v in zip(x, out) if v.data == 0.0} == {0.0}
    assert [v.data for v in Dropout(0.25, seed=0)(x)] == [v.data for v in out]  # seeded
    assert drop.eval()(x) is x


def test_dropout_rejects_a_probability_outside_zero_to_one():
    for p in (-0.1, 1.0, 2):
        with pytest.raises(ValueError, match="dropout probability"):
            Dropout(p)
    with pytest.raises(TypeError, match="dropout probability p must be a real number"):
        Dropout("half")


def test_residual_adds_the_input_and_its_gradient_path():
    block = Layer(2, 2, activation="tanh", seed=0)
    x = [Value(0.4), Value(-0.2)]
    out = Residual(block)(x)
    inner = block([0.4, -0.2])
    assert [o.data for o in out] == pytest.approx([0.4 + inner[0].data, -0.2 + inner[1].data], abs=1e-15)
    out[0].backward()
    # d out0 / d x0 = 1 + w00 (1 - tanh^2): the shortcut's 1 plus the block's own derivative
    w00 = block.neurons[0].w[0].data
    assert x[0].grad == pytest.approx(1.0 + w00 * (1.0 - inner[0].data ** 2), abs=1e-12)
    with pytest.raises(ValueError, match="as many outputs as inputs"):
        Residual(Layer(2, 3, seed=0))([1.0, 2.0])


def test_rnn_backpropagation_through_time_matches_torch(torch):
    nin, nhidden, steps = 3, 4, 5
    rnn = RNN(nin, nhidden, seed=0)
    rng = random.Random(1)
    sequence = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(steps)]
    for n in rnn.cell.neurons:
        n.b.data = rng.uniform(-0.5, 0.5)
    hidden = rnn(sequence)
    loss = engine.sum([h * h for h in hidden[-1]]) + engine.sum(hidden[1])
    loss.backward()

    reference = torch.nn.RNN(nin, nhidden, nonlinearity="tanh", batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        weights = torch.tensor([[w.data for w in n.w] for n in rnn.cell.neurons])
        reference.weight_ih_l0.copy_(weights[:, :nin])
        reference.weight_hh_l0.copy_(weights[:, nin:])
        reference.bias_ih_l0.copy_(torch.tensor([n.b.data for n in rnn.cell.neurons]))
        reference.bias_hh_l0.zero_()
    out, _ = reference(torch.tensor([sequence]))
    ((out[0, -1] ** 2).sum() + out[0, 1].sum()).backward()

    assert [v.data for h in hidden for v in h] == pytest.approx(out[0].flatten().tolist(), abs=1e-12)
    w_grad = [[w.grad for w in n.w] for n in rnn.cell.neurons]
    assert [g for row in w_grad for g in row[:nin]] == pytest.approx(reference.weight_ih_l0.grad.flatten().tolist(), abs=1e-12)
    assert [g for row in w_grad for g in row[nin:]] == pytest.approx(reference.weight_hh_l0.grad.flatten().tolist(), abs=1e-12)
    assert [n.b.grad for n in rnn.cell.neurons] == pytest.approx(reference.bias_ih_l0.grad.tolist(), abs=1e-12)


def test_rnn_reuses_one_cell_and_reads_out_every_step():
    rnn = RNN(1, 3, nout=2, seed=0)
    outputs = rnn([[0.5], [-0.5], [1.0]])
    assert len(outputs) == 3 and all(len(o) == 2 for o in outputs)
    names = [name for name, _ in rnn.named_parameters()]
    assert len(names) == 3 * (1 + 3 + 1) + 2 * (3 + 1)  # the same weights serve every step
    assert names[0] == "cell.neurons.0.w.0" and names[-1] == "readout.neurons.1.b"
    with pytest.raises(ValueError, match="hidden state of 3"):
        rnn.cell([1.0], [0.0])


def test_repr_says_what_the_module_is():
    assert repr(MLP(2, [16, 1])) == "MLP(2, [16, 1])"
    assert repr(Neuron(3, activation="tanh")) == "Neuron(3, activation='tanh')"
    assert "Dropout(p=0.5)" in repr(Sequential(Layer(2, 2), Dropout(0.5)))
