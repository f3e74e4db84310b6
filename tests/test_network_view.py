"""``nn.draw_network``: a network as columns of neurons, a line per weight, every number on hover."""

import re

import pytest

from engine import Value
from engine.render import render
from nn import MLP, Dropout, Layer, Sequential, draw_network, hinge_loss
from nn.network_view import MAX_EDGES, NEGATIVE, POSITIVE

ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*>|\S+)')


def attributes(text):
    return {key: value.strip('"') for key, value in ATTRIBUTE.findall(text)}


def weight_lines(graph):
    """{(tail, head): attributes} of every line drawn for a weight (the invisible ones hold the layout)."""
    lines = {}
    for tail, head, rest in re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\]$", graph.source, re.MULTILINE):
        found = attributes(rest)
        if found.get("style") != "invis":
            lines[tail, head] = found
    return lines


def nodes(graph):
    """{name: attributes} of every node."""
    return {name: attributes(rest) for name, rest in re.findall(r"^\s*(\w+) \[(.*)\]$", graph.source, re.MULTILINE)}


@pytest.fixture
def trained():
    """MLP(2, [6, 6, 1]) with the gradients of one point's hinge loss."""
    model = MLP(2, [6, 6, 1], init="uniform", seed=0)
    x = [0.5, -0.25]
    hinge_loss([model(x)], [1]).backward()
    return model, x


def test_it_draws_inputs_neurons_and_a_line_per_weight(trained):
    model, x = trained
    graph = draw_network(model, x)
    names = nodes(graph)
    assert {"x0", "x1"} <= set(names) and "0.5" in names["x0"]["label"] and "-0.25" in names["x1"]["label"]
    neurons = {name for name in names if re.fullmatch(r"L\d+_N\d+", name)}
    assert len(neurons) == 6 + 6 + 1
    assert names["L1_N3"]["label"].startswith("L1.N3")
    lines = weight_lines(graph)
    assert len(lines) == 2 * 6 + 6 * 6 + 6 * 1
    assert ("x1", "L0_N5") in lines and ("L0_N2", "L1_N4") in lines and ("L1_N5", "L2_N0") in lines


def test_each_column_is_one_rank_in_the_order_of_its_names(trained):
    source = draw_network(*trained).source
    assert source.count("rank=same") == 4  # inputs and three layers
    assert source.index("L0_N0 [") < source.index("L0_N1 [") < source.index("L0_N5 [")


def test_a_line_is_blue_for_a_positive_weight_and_orange_for_a_negative_one(trained):
    model, x = trained
    weight = model.layers[1].neurons[2].w[4]
    for data, colour in ((0.7, POSITIVE), (-0.7, NEGATIVE)):
        weight.data = data
        assert weight_lines(draw_network(model, x))["L0_N4", "L1_N2"]["color"].startswith(colour)


def test_lines_widen_with_the_gradient_or_with_the_weight(trained):
    model, x = trained
    neuron = model.layers[2].neurons[0]
    for k, w in enumerate(neuron.w):
        w.grad, w.data = 0.1 * (k + 1), 0.1 * (6 - k)
    by_grad = weight_lines(draw_network(model, x))
    widths = [float(by_grad[f"L1_N{k}", "L2_N0"]["penwidth"]) for k in range(6)]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    by_weight = weight_lines(draw_network(model, x, show="weight"))
    widths = [float(by_weight[f"L1_N{k}", "L2_N0"]["penwidth"]) for k in range(6)]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]


def test_a_zero_gradient_is_drawn_faded(trained):
    model, x = trained
    model.layers[0].neurons[1].w[0].grad = 0.0
    assert len(weight_lines(draw_network(model, x))["x0", "L0_N1"]["color"]) == 9  # #rrggbb and an alpha


def test_every_number_is_in_a_tooltip(trained):
    model, x = trained
    neuron = model.layers[0].neurons[3]
    neuron.w[1].data, neuron.w[1].grad, neuron.b.grad = 0.123, -0.0456, 0.789
    graph = draw_network(model, x)
    tip = weight_lines(graph)["x1", "L0_N3"]["tooltip"]
    assert "L0.N3.w1" in tip and "layers.0.neurons.3.w.1" in tip and "0.123" in tip and "-0.0456" in tip
    z = sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data
    tip = nodes(graph)["L0_N3"]["tooltip"]
    assert f"z = w . x + b = {z:.4g}" in tip and f"relu(z) = {max(z, 0):.4g}" in tip and "b.grad = 0.789" in tip
    assert "-0.25" in nodes(graph)["x1"]["tooltip"]


def test_it_leaves_the_model_as_it_was(trained):
    model, x = trained
    before = [(p.data, p.grad) for p in model.parameters()]
    draw_network(model, [Value(0.5), Value(-0.25)])
    assert [(p.data, p.grad) for p in model.parameters()] == before


def test_a_layer_too_wide_for_lines_is_a_heat_map():
    model = MLP(64, [32, 10], seed=0)
    x = [k / 64 for k in range(64)]
    sum(model(x)).backward()
    graph = draw_network(model, x)
    assert weight_lines(graph) == {}  # 2048 and 320 weights: both layers are heat maps
    names = nodes(graph)
    assert names["L0_heat"]["label"].count("<td width") == 32 * 64
    assert names["L1_heat"]["label"].count("<td width") == 10 * 32
    assert "L1.N9.w31: weight" in names["L1_heat"]["label"]
    assert names["inputs"]["label"].count("<td width") == 64  # a strip of cells: 64 circles would not fit


def test_the_threshold_is_a_switch(trained):
    model, x = trained
    assert MAX_EDGES == 256  # micrograd's MLP(2, [16, 16, 1]) is still drawn line by line
    lines = weight_lines(draw_network(model, x, max_edges=12))
    assert len(lines) == 2 * 6 + 6 * 1  # the 36 weights between the hidden layers are a heat map
    assert "L1_heat" in nodes(draw_network(model, x, max_edges=12))


def test_a_bare_layer_is_drawn_too():
    assert len(weight_lines(draw_network(Layer(3, 2, seed=0), [1.0, 2.0, 3.0]))) == 6


@pytest.mark.parametrize(
    "model, x, error, words",
    [
        (Value(1.0), [1.0, 2.0], TypeError, "an nn model"),
        ([Layer(2, 2)], [1.0, 2.0], TypeError, "got list"),
        (Sequential(Layer(2, 2), Dropout(0.5)), [1.0, 2.0], TypeError, "model.layers[1] is Dropout"),
        (MLP(2, [3, 1]), [1.0, 2.0, 3.0], ValueError, "takes 2 inputs, but x has 3"),
        (MLP(2, [3, 1]), 1.0, TypeError, "sequence of 2 numbers"),
        (MLP(2, [3, 1]), "ab", TypeError, "sequence of 2 numbers"),
        (MLP(2, [3, 1]), [1.0, "2"], TypeError, "x[1] is str"),
    ],
)
def test_bad_input_is_named(model, x, error, words):
    with pytest.raises(error, match=re.escape(words)):
        draw_network(model, x)


def test_bad_options_are_named(trained):
    with pytest.raises(ValueError, match="show=.*'size'"):
        draw_network(*trained, show="size")
    with pytest.raises(ValueError, match="max_edges"):
        draw_network(*trained, max_edges=-1)


def test_it_renders_to_svg_with_the_numbers_on_hover(trained, dot_program):
    svg = draw_network(*trained).pipe(format="svg").decode("utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    assert re.search(r'xlink:title="L0\.N3\.w1 [^"]*weight [^"]*grad ', svg)
    assert re.search(r'xlink:title="L1\.N2 [^"]*z = w \. x \+ b = ', svg)


def test_a_heat_map_renders_with_a_tooltip_per_cell(dot_program):
    model = MLP(64, [32, 10], seed=0)
    svg = render(draw_network(model, [0.0] * 64).source, "svg").decode("utf-8")
    assert svg.count('xlink:title="L0.N') >= 32 * 64
