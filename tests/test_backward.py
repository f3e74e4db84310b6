"""Backward: fan-out, repeated calls, deep chains, no cycles, hooks, no_grad, anomaly mode."""

import gc
import math
import sys
import weakref

import pytest

import engine
from engine import Value, detect_anomaly, no_grad


def test_fan_out_sums_the_paths():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    x = Value(3.0)
    (x * x * x).backward()
    assert x.grad == 27.0  # 3x^2


def test_second_backward_doubles_leaves_and_recomputes_interior_nodes():
    x = Value(3.0)
    y = x * x
    z = y * x
    z.backward()
    assert (x.grad, y.grad) == (27.0, 3.0)
    z.backward()
    # leaves accumulate (as in PyTorch); interior grads are recomputed, never micrograd's 27-then-72
    assert (x.grad, y.grad, z.grad) == (54.0, 3.0, 1.0)


def test_backward_with_an_upstream_gradient_and_on_a_leaf():
    x = Value(2.0)
    (x * 5).backward(grad=0.5)
    assert x.grad == 2.5
    leaf = Value(1.0)
    leaf.backward()
    leaf.backward()
    assert leaf.grad == 2.0
    with pytest.raises(TypeError, match="backward"):
        (x * 2).backward(grad="1")


def test_zero_grad_zeroes_the_whole_graph():
    x, w = Value(2.0), Value(-1.0)
    y = (x * w).tanh()
    y.backward()
    assert x.grad != 0.0
    y.zero_grad()
    assert all(node.grad == 0.0 for node in engine.topological_order(y))


def test_topological_order_puts_every_node_before_its_parents_and_is_deterministic():
    x, y = Value(1.0), Value(2.0)
    a = x * y
    b = a + x
    out = (b * a).tanh()
    order = engine.topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert order[0] is out and len(order) == 6
    assert all(position[p] > position[n] for n in order for p in n.parents)


ORDER_SCRIPT = """
from engine import Value, topological_order
import nn
model = nn.MLP(3, [4, 4, 1], seed=0)
loss = (model([0.5, -1.0, 2.0]) - 1.0) ** 2 + engine.sum(p * p for p in model.parameters())
print([(node.label, node.op) for node in topological_order(loss)])
""".replace("from engine import", "import engine\nfrom engine import")


def test_topological_order_is_the_same_in_two_processes():
    # Within one process two calls could agree by accident (the same ids); across processes with
    # different hash seeds, an order that leaned on id() or hashing would differ.
    import os
    import subprocess

    runs = [
        subprocess.run([sys.executable, "-c", ORDER_SCRIPT], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and runs[0].count("layers.") > 20


def test_a_million_node_chain_under_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert len(engine.topological_order(y)) == 1_000_001


def test_graph_is_freed_without_the_cyclic_garbage_collector():
    gc.disable()
    try:
        x = Value(1.5)
        hidden = (x * 2).tanh()
        out = hidden.exp() + hidden
        out.backward()
        watch_out, watch_hidden = weakref.ref(out), weakref.ref(hidden)
        del out, hidden
        assert watch_out() is None and watch_hidden() is None
        assert x.grad != 0.0  # the leaf survives: we still hold it
    finally:
        gc.enable()


# ---------------------------------------------------------------- hooks


def test_hook_sees_the_complete_gradient_and_can_replace_it():
    x = Value(2.0)
    h = x * 3
    out = h * h + h  # d out / d h = 2h + 1 = 13
    seen = []
    handle = h.register_hook(lambda g: seen.append(g))
    out.backward()
    assert seen == [13.0] and x.grad == 39.0
    handle.remove()
    h.register_hook(lambda g: 2 * g)
    x.grad = 0.0
    out.backward()
    assert x.grad == 78.0


def test_leaf_hook_gets_this_passes_gradient():
    x = Value(2.0)
    seen = []
    x.register_hook(seen.append)
    (x * 4).backward()
    (x * 4).backward()
    assert seen == [4.0, 4.0] and x.grad == 8.0


def test_a_hook_returning_a_number_too_large_for_a_float_is_named_shortly():
    x = Value(2.0)
    y = x * 3
    y.register_hook(lambda g: 10**400)
    with pytest.raises(ValueError, match=r"what hook '<lambda>' on \*3 returned .* is too large for a float") as error:
        y.backward()
    assert len(str(error.value)) < 200


def test_register_hook_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        Value(1.0).register_hook(3)


# ---------------------------------------------------------------- no_grad


def test_no_grad_records_no_parents_and_restores():
    x = Value(2.0)
    with no_grad():
        y = x * x
        assert not engine.is_grad_enabled()
        with engine.enable_grad():
            z = x * x
    assert engine.is_grad_enabled()
    assert y.parents == () and y.data == 4.0 and z.parents == (x, x)


def test_no_grad_as_a_decorator_and_after_an_exception():
    @no_grad()
    def evaluate(v):
        return v * 3

    assert evaluate(Value(1.0)).parents == ()
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("boom")
    assert engine.is_grad_enabled()


# ---------------------------------------------------------------- detect_anomaly


def test_anomaly_in_forward_names_op_inputs_and_labels():
    x = Value(-1.0, label="x")
    with pytest.raises(FloatingPointError, match=r"'log' produced nan from inputs x=-1.0"):
        with detect_anomaly():
            x.log()
    assert math.isnan(x.log().data)  # outside the block: no error


def test_anomaly_in_backward_names_the_op():
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = x.sqrt()  # sqrt(0) = 0 is finite, but its derivative is inf
        with pytest.raises(FloatingPointError, match="sqrt"):
            y.backward()


def test_a_hook_that_refers_to_its_own_value_does_not_keep_the_graph_alive():
    def build():
        x = Value(1.0)
        y = x * 2
        y.register_hook(lambda g: print(y.data))  # the hook holds y: a cycle, not a leak
        return weakref.ref(y)

    watch = build()
    gc.collect()
    assert watch() is None


def test_a_hook_must_return_a_number_or_none():
    x = Value(2.0, label="x")
    y = x * 3
    y.register_hook(lambda g: "1.5")
    with pytest.raises(TypeError, match="hook .* returned .*got str"):
        y.backward()


def test_removing_the_last_hook_forgets_the_value():
    x = Value(2.0)
    y = x * 3
    handle = y.register_hook(lambda g: 0.0)
    y.backward()
    assert x.grad == 0.0
    handle.remove()
    handle.remove()  # twice is harmless
    y.backward()
    assert x.grad == 3.0


def test_a_zero_gradient_skips_its_edges_but_keeps_ieee_nan_from_an_infinite_local():
    # relu(-1) has local derivative 0, so w and b get exactly 0 through it: skipping changes nothing.
    w, b = Value(2.0), Value(1.0)
    (engine.dot([w], [-3.0], bias=b).relu() + 1.0).backward()
    assert (w.grad, b.grad) == (0.0, 0.0)
    # sqrt at 0 has local derivative inf; a zero gradient through it is 0 * inf = nan (as in PyTorch).
    x = Value(0.0)
    (x.sqrt() * 0.0).backward()
    assert math.isnan(x.grad)
    # nan as a local derivative, too: log(-1) has local -1 but produces nan, 1/x at nan is nan.
    y = Value(float("nan"))
    (y.exp() * 0.0).backward()
    assert math.isnan(y.grad)


def test_skipping_zero_gradients_matches_the_full_chain_rule_on_a_network():
    import nn
    from engine.steps import backward_steps

    model = nn.MLP(3, [8, 8, 1], seed=2)
    xs = [[0.5, -1.0, 2.0], [-2.0, 0.3, -0.7], [1.5, 1.5, -1.5]]
    loss = nn.hinge_loss([model(x) for x in xs], [1, -1, 1])
    loss.backward()
    skipped = [v.grad for v in model.parameters()]
    model.zero_grad()
    # backward_steps applies every edge, zeros included; both must agree to the bit
    list(backward_steps(loss))
    assert skipped == [v.grad for v in model.parameters()]
    assert any(g == 0.0 for g in skipped) and any(g != 0.0 for g in skipped)


def test_a_neurons_weights_are_listed_as_leaves_after_every_interior_node():
    w, b = Value(2.0), Value(1.0)
    z = engine.dot([w], [3.0], bias=b)
    assert z.parents == (w, b) and engine.topological_order(z) == [z, w, b]
    z.backward()
    assert (w.grad, b.grad) == (3.0, 1.0)


def test_a_neuron_with_a_tied_weight_passes_the_gradient_through_it():
    import nn

    shared = Value(0.5)
    neuron = nn.Neuron(2, activation="linear", seed=0)
    neuron.w = (shared * 2.0, shared)  # w0 = 2s, w1 = s: not leaves, so walked as usual
    neuron([3.0, 4.0]).backward()
    assert shared.grad == 2.0 * 3.0 + 4.0


def test_anomaly_mode_applies_and_checks_the_edges_of_a_zero_gradient():
    w = Value(2.0)
    w.grad = float("inf")  # left over from an earlier pass
    with pytest.raises(FloatingPointError, match=r"operation '\*3' .* gradient inf"):
        with detect_anomaly():
            (w * 3.0).relu().backward(0.0)
