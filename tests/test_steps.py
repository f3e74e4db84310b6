"""backward_steps: backward one node at a time, leaving exactly backward()'s grads."""

import math

import pytest
from hypothesis import given

from engine import Value, backward_steps, topological_order
from example_graphs import build, classic_chain, recipes


def grads_of(nodes):
    return [node.grad for node in nodes]


def test_consuming_all_steps_gives_backward_grads_on_the_classic_chain():
    stepped, plain = classic_chain(), classic_chain()
    steps = list(backward_steps(stepped.C))
    plain.C.backward()
    order = topological_order(stepped.C)
    assert grads_of(order) == grads_of(topological_order(plain.C))
    assert [step.node for step in steps] == order  # backward's order, output first
    assert [step.grad for step in steps] == grads_of(order)  # each grad was complete at its step


@given(recipes())
def test_steps_equal_backward_on_random_graphs(recipe):
    *_, stepped_nodes = build(recipe)
    *_, plain_nodes = build(recipe)
    for step in backward_steps(stepped_nodes[-1]):
        for update in step.updates:
            assert update.after == update.before + update.local * update.grad
            assert update.grad == step.grad
            assert step.node.parents[update.position] is update.parent
            assert step.node.local_grads[update.position] == update.local
    plain_nodes[-1].backward()
    # Same operations in the same order, so equal to the last bit (nan compares by being nan).
    for a, b in zip(grads_of(stepped_nodes), grads_of(plain_nodes)):
        assert a == b or (math.isnan(a) and math.isnan(b))


def test_same_reset_as_backward_leaves_accumulate_interior_restarts():
    stepped, plain, once = classic_chain(), classic_chain(), classic_chain()
    stepped.C.backward()
    list(backward_steps(stepped.C))  # after a backward: leaves double, interior nodes do not
    plain.C.backward()
    plain.C.backward()
    once.C.backward()
    assert grads_of(topological_order(stepped.C)) == grads_of(topological_order(plain.C))
    assert stepped.w1.grad == 2 * once.w1.grad and stepped.z1.grad == once.z1.grad


def test_nothing_changes_until_the_first_step():
    net = classic_chain()
    net.C.backward()
    before = grads_of(topological_order(net.C))
    steps = backward_steps(net.C)
    assert grads_of(topological_order(net.C)) == before
    first = next(steps)
    assert first.node is net.C and first.grad == 1.0
    assert net.z1.grad == 0.0  # the reset happened up front, before any update reached z1


def test_a_custom_seed_gradient():
    x = Value(3.0, label="x")
    y = x * 2
    list(backward_steps(y, grad=0.5))
    assert x.grad == 1.0


def test_steps_print_their_arithmetic():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    first, second = backward_steps(y)
    assert (
        str(first)
        == "step 1 of 2: y.grad = 1 is complete, pass it back:\n  x.grad: 0 + 3 * 1 = 3\n  x.grad: 3 + 3 * 1 = 6"
    )
    assert str(second) == "step 2 of 2: x.grad = 6 is complete; a leaf has nothing to pass on"
    assert [u.position for u in first.updates] == [0, 1]  # the two edges of x*x, told apart
    net = classic_chain()
    text = "\n".join(map(str, backward_steps(net.C)))
    assert "a3.grad: 0 + 1 * " in text and "(w3*a2).grad: 0 + 1 * " in text  # unlabeled nodes show their op over their parents


def test_bad_input():
    with pytest.raises(TypeError, match="backward_steps needs a Value, got float"):
        backward_steps(1.0)
    with pytest.raises(TypeError, match=r"backward_steps\(grad\) must be a real number"):
        backward_steps(Value(1.0), grad="1")


def test_a_leaf_output_accumulates_like_backward():
    x = Value(2.0, label="x")
    for _ in range(2):
        (step,) = backward_steps(x)
    assert step.updates == () and x.grad == 2.0  # backward() twice on a leaf gives 2 as well
