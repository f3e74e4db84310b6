"""explain: the chain rule path by path, checked against backward(), a brute-force count and a hand derivation."""

import math
import time

import pytest
from hypothesis import assume, given

from engine import Value, explain, topological_order
from example_graphs import build, classic_chain, recipes


def backward_grads(output, wrts):
    output.zero_grad()
    output.backward()
    return [w.grad for w in wrts]


def sigmoid_slope(z):
    s = 1.0 / (1.0 + math.exp(-z))
    return s * (1.0 - s)


def all_paths(output, wrt):
    """Every path from output down to wrt, as lists of factors. Plain recursion: the reference is kept
    obviously right, and the graphs it sees are small."""
    if output is wrt:
        return [[]]
    return [
        [local] + rest for parent, local in zip(output.parents, output.local_grads) for rest in all_paths(parent, wrt)
    ]


# -------------------------------------------------------------------- the seeds' classic example


def test_classic_chain_dC_dw3_is_the_hand_derivation():
    net = classic_chain()
    e = explain(net.C, net.w3)

    # dC/dw3 = a2 * sigma'(z3) * 2(a3 - y), one path: C -> d -> a3 -> z3 -> (w3*a2) -> w3.
    hand = net.a2.data * sigmoid_slope(net.z3.data) * 2 * (net.a3.data - net.y.data)
    assert e.count == 1 and len(e.paths) == 1
    (path,) = e.paths
    assert [v.label or v.op for v in path.nodes] == ["C", "d", "a3", "z3", "*", "w3"]
    assert path.factors == pytest.approx([2 * net.d.data, 1.0, sigmoid_slope(net.z3.data), 1.0, net.a2.data], rel=1e-12)
    assert math.isclose(path.product, hand, rel_tol=1e-12)
    assert e.total == backward_grads(net.C, [net.w3])[0]


def test_classic_chain_every_parameter_matches_backward():
    net = classic_chain()
    explained = [explain(net.C, p).total for p in net.parameters]
    assert explained == backward_grads(net.C, net.parameters)  # same sums in the same order: bit for bit


def test_classic_chain_reads_like_the_textbook():
    net = classic_chain()
    text = str(explain(net.C, net.w3))
    assert text.splitlines()[0] == "dC/dw3 =   dC/dd * dd/da3 * da3/dz3 * dz3/d(w3*a2) * d(w3*a2)/dw3"
    assert "path 1 of 1" in text
    assert text.splitlines()[-1].endswith("(sum over 1 path)")


def test_explain_needs_no_backward_and_changes_no_grad():
    net = classic_chain()
    nodes = topological_order(net.C)
    explain(net.C, net.w1)
    assert all(node.grad == 0.0 for node in nodes)


# -------------------------------------------------------------------- several paths


def test_a_value_used_twice_is_two_paths():
    x = Value(3.0, label="x")
    y = x * x
    e = explain(y, x)
    assert [p.factors for p in e.paths] == [(3.0,), (3.0,)]
    assert e.total == 6.0


def test_exact_text_of_three_paths():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    L = y + x
    L.label = "L"
    assert str(explain(L, x)) == (
        "dL/dx =   dL/dy * dy/dx\n"
        "        = (1) * (2) = 2    path 1 of 3\n"
        "      +   dL/dy * dy/dx\n"
        "        = (1) * (2) = 2    path 2 of 3\n"
        "      +   dL/dx\n"
        "        = (1) = 1          path 3 of 3\n"
        "      = 5  (sum over 3 paths)"
    )
    assert str(explain(L, x, max_paths=1)).splitlines()[2] == (
        "      + 2 more paths, not listed, add up to 3    paths 2 to 3"
    )


def test_latex_for_notebooks():
    x = Value(2.0, label="x_1")
    y = x * x
    y.label = "y"
    latex = explain(y, x)._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert r"\frac{\partial \mathtt{y}}{\partial \mathtt{x\_1}}" in latex  # "_" escaped
    assert r"\text{path 2 of 2}" in latex and r"\text{sum over 2 paths}" in latex


def test_wrt_may_be_the_output_or_an_intermediate_node():
    net = classic_chain()
    assert explain(net.C, net.C).total == 1.0
    e = explain(net.C, net.a2)
    assert e.paths[0].nodes[-1] is net.a2
    assert e.total == backward_grads(net.C, [net.a2])[0]


# -------------------------------------------------------------------- random graphs


@given(recipes())
def test_sum_over_paths_is_backward_gradient(recipe):
    leaves, output, _ = build(recipe)
    in_graph = set(topological_order(output))
    grads = backward_grads(output, leaves)
    assume(all(math.isfinite(g) for g in grads))
    for leaf, grad in zip(leaves, grads):
        if leaf not in in_graph:
            with pytest.raises(ValueError, match="not in the graph"):
                explain(output, leaf)
            continue
        e = explain(output, leaf, max_paths=10_000)
        assert e.total == grad
        assert e.rest_count == 0 and len(e.paths) == e.count
        products = [p.product for p in e.paths]
        # 1e-12 relative to the size of the terms: paths of opposite sign may cancel to a tiny gradient.
        # (1e-300 at least: among subnormal numbers, a single rounding is already a large relative error.)
        scale = math.fsum(abs(p) for p in products)
        assert math.isclose(math.fsum(products), grad, rel_tol=1e-12, abs_tol=max(1e-12 * scale, 1e-300))
        for path in e.paths:
            assert math.isclose(path.product, math.prod(path.factors), rel_tol=1e-12, abs_tol=1e-300)


@given(recipes(max_leaves=3, max_operations=8))
def test_counts_and_rest_by_dynamic_programming_match_brute_force(recipe):
    leaves, output, _ = build(recipe)
    in_graph = set(topological_order(output))
    for leaf in leaves:
        if leaf not in in_graph:
            continue
        brute = all_paths(output, leaf)
        assume(all(math.isfinite(math.prod(f)) for f in brute))
        e = explain(output, leaf, max_paths=3)
        assert e.count == len(brute)
        # Depth-first, parents in order: the listed paths are the brute force's first ones.
        assert [list(p.factors) for p in e.paths] == brute[:3]
        rest = math.fsum(math.prod(f) for f in brute[3:])
        scale = math.fsum(abs(math.prod(f)) for f in brute)
        assert math.isclose(e.rest_total, rest, rel_tol=1e-12, abs_tol=1e-12 * scale)


def test_path_count_explosion_stays_fast():
    x = Value(1.0, label="x")
    y = x
    for _ in range(60):
        y = y + y  # every step doubles the paths: 2^60 in all
    start = time.perf_counter()
    e = explain(y, x)
    text = str(e)
    elapsed = time.perf_counter() - start
    assert e.count == 2**60 and len(e.paths) == 20 and e.rest_count == 2**60 - 20
    assert e.total == 2.0**60 and e.rest_total == 2.0**60 - 20
    assert f"+ {2**60 - 20} more paths, not listed" in text
    assert elapsed < 1.0


# -------------------------------------------------------------------- bad input


def test_bad_input_says_what_was_wrong():
    net = classic_chain()
    with pytest.raises(ValueError, match=r"wrt \(stranger, data 7.0\) is not in the graph of the output \(C\)"):
        explain(net.C, Value(7.0, label="stranger"))
    with pytest.raises(TypeError, match="explain\\(wrt=...\\) must be a Value, got float"):
        explain(net.C, 1.0)
    with pytest.raises(TypeError, match="explain\\(output=...\\) must be a Value, got str"):
        explain("C", net.w1)
    with pytest.raises(ValueError, match="0 or more, got -1"):
        explain(net.C, net.w1, max_paths=-1)
    with pytest.raises(TypeError, match="must be an int, got float"):
        explain(net.C, net.w1, max_paths=2.5)


# -------------------------------------------------------------------- networks: wrapped, short names, no -0


def network_explanations():
    """d loss / d w for every first-layer weight of the main demo's MLP(2, [6, 6, 1]) with a hinge loss."""
    import nn

    model = nn.MLP(2, [6, 6, 1], seed=0)
    loss = nn.hinge_loss([model(x) for x in [(0.3, -0.2), (-1.1, 0.4)]], [1, -1])
    return [explain(loss, w) for neuron in model.layers[0].neurons for w in neuron.w], model


def test_a_network_explanation_fits_100_columns():
    explanations, _ = network_explanations()
    for e in explanations:
        lines = str(e).splitlines()
        assert max(map(len, lines)) <= 100, max(lines, key=len)
        notes = [line for line in lines if line.rstrip().endswith(f"of {e.count}")]
        assert len(notes) == len(e.paths)  # one "path k of n" note per listed path
        assert len({line.index("path ") for line in notes}) == 1  # in one column


def test_nn_parameters_have_short_names_and_the_long_name_once():
    explanations, _ = network_explanations()
    text = str(explanations[3])
    assert explanations[3].wrt.label == "layers.0.neurons.1.w.1"
    assert "/dL0.N1.w1 = " in text.splitlines()[0]
    lines = text.splitlines()
    legend = lines[[line.startswith("where ") for line in lines].index(True):]
    assert legend[0] == "where L0.N1.w1 is layers.0.neurons.1.w.1"
    formula = "\n".join(lines[: -len(legend)])
    for line in legend:  # "where S is LONG" / "  and S is LONG": S in the formula, LONG only here
        short, long = line.split()[1], line.split()[3]
        assert short in formula and text.count(long) == 1
    assert "layers." not in formula


def test_a_labelled_network_has_one_where_line():
    import nn

    model = nn.MLP(2, [3, 1], seed=0)
    values = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    for i, layer in enumerate(model.layers):  # labelled as the main demo labels them
        values = layer(values)
        for j, value in enumerate(values):
            if layer.activation == "linear":
                value.label = f"z{i}_{j}"
            else:
                value.label, value.parents[0].label = f"a{i}_{j}", f"z{i}_{j}"
    (score,) = values
    loss = (1 - score).relu()
    loss.label = "loss"
    text = str(explain(loss, model.layers[0].neurons[1].w[1]))
    assert text.splitlines()[-1] == "where L0.N1.w1 is layers.0.neurons.1.w.1"
    assert text.count("where") == 1 and "  and " not in text
    assert text.splitlines()[0].startswith("dloss/dL0.N1.w1 =   dloss/d(1-z1_0) * ")


def test_long_factors_wrap_under_the_first_factor():
    def chain(label):
        x = Value(0.5, label="x")
        y = x
        for i in range(8):
            y = (y * 1.5).tanh()
            y.label = label(i)
        return str(explain(y, x)).splitlines()

    lines = chain(lambda i: f"hidden_{i}")
    assert max(map(len, lines)) <= 100 and len(lines) > 3
    start = lines[0].index("dhidden_7/d(hidden_6*1.5)")
    continued = [line for line in lines[1:] if not line.lstrip().startswith(("=", "+"))]
    assert continued and all(len(line) - len(line.lstrip()) == start for line in continued)
    # A label too long for any line is cut rather than let a line run past 100 columns.
    assert max(map(len, chain(lambda i: f"a_rather_long_intermediate_name_{i}"))) <= 100


def test_an_exact_zero_prints_as_0_never_minus_0():
    from engine.formatting import number

    assert number(-0.0) == "0" and number(0.0) == "0" and number(-1e-300) == "-1e-300"
    x, y = Value(0.0, label="x"), Value(-2.0, label="y")
    z = (x * y) * y  # dz/dy by the path through x*y: x * y = -0.0
    z.label = "z"
    text = str(explain(z, y))
    assert "-0 " not in text + " " and "(-0)" not in text


def test_latex_uses_the_short_names_and_stays_valid():
    explanations, _ = network_explanations()
    latex = explanations[3]._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert latex.count("{") == latex.count("}")
    assert r"\partial \mathtt{L0.N1.w1}}" in latex
    assert r"\text{where } \mathtt{L0.N1.w1} \text{ is } \mathtt{layers.0.neurons.1.w.1}" in latex
    assert latex.count("layers.0.neurons.1.w.1") == 1


def test_a_label_with_spaces_reads_as_one_name_in_a_derivative():
    x = Value(2.0, label="x")
    s = x * 3.0
    s.label = "x*3 + nothing"
    text = str(explain(s.tanh(), x))
    assert "d(x*3 + nothing)/dx" in text and "/d(x*3 + nothing)" in text
