"""Gradients of gradients: backward(create_graph=True), nested grad, hessian, hvp, jvp, jacobian, per-thread modes.

Checked three ways: against PyTorch's answers on 300 random expressions (committed in
tests/parity/second_order.json, regenerated where PyTorch is installed, which CI always has), against
torch.autograd.functional and torch.func directly, and against central differences.
"""

import json
import math
import threading

import pytest

import engine
from engine import Value, draw, explain, grad, hessian, hvp, jacobian, jvp, no_grad, value_and_grad
from parity import make_corpus, make_second_order
from test_torch_parity import Chainrule, same

CASES = json.loads(make_second_order.FILE.read_text())["cases"]
REL = 1e-8  # two roundings' worth more than first order's 1e-9: a second derivative sums more terms


def function_of(case):
    return lambda *xs: make_corpus.evaluate(case["expr"], list(xs), Chainrule)


def agree(ours, theirs, scale=1.0):
    return same(ours, theirs, rel=REL, scale=scale)


def scale_of(numbers):
    """The size of a case's numbers: a tiny entry beside large ones is known only to REL times the large."""
    return max([1.0, *(abs(x) for x in numbers)])


# -------------------------------------------------------------------- against PyTorch, on random expressions


def test_the_corpus_is_large_and_covers_every_operation():
    assert len(CASES) == make_second_order.CASES
    seen = set()
    stack = [case["expr"] for case in CASES]
    while stack:
        tree = stack.pop()
        if isinstance(tree, list) and tree and isinstance(tree[0], str):
            seen.add(tree[0])
            stack.extend(tree[1:])
        elif isinstance(tree, list):
            stack.extend(tree)
    assert set(make_corpus.FUNCTIONS) | set(make_corpus.BINARY) | {"sum", "dot"} <= seen


def test_hessians_third_derivatives_hvps_and_jvps_match_pytorch():
    wrong = []
    for case in CASES:
        f, xs, v = function_of(case), case["inputs"], case["direction"]
        scale = scale_of([*case["grads"], *sum(case["hessian"], []), *case["hvp"]])
        ours = {
            "hessian": sum(map(list, hessian(f)(*xs)), []),
            "hvp": list(hvp(f, xs, v)),
            "jvp": list(jvp(f, xs, v)),
            "third": [grad(grad(grad(f)))(*xs)],
        }
        theirs = {"hessian": sum(case["hessian"], []), "hvp": case["hvp"], "jvp": case["jvp"], "third": [case["third"]]}
        for what in ours:
            s = scale_of([*theirs[what], scale]) if what != "third" else scale_of([case["third"], scale])
            if not all(agree(a, b, s) for a, b in zip(ours[what], theirs[what])):
                wrong.append(f"{case['name']} {what}: ours {ours[what]}, torch {theirs[what]}")
    assert not wrong, f"{len(wrong)} mismatches:\n" + "\n".join(wrong[:20])


def test_create_graph_gives_the_plain_gradients_as_values_and_they_differentiate_to_the_hessian():
    for case in CASES:
        f, inputs = function_of(case), case["inputs"]
        plain = [Value(x) for x in inputs]
        f(*plain).backward()
        xs = [Value(x) for x in inputs]
        out = f(*xs)
        out.backward(create_graph=True)
        reached = set(engine.topological_order(out))
        assert all(isinstance(x.grad, Value) for x in xs if x in reached)  # the others are not in the graph: 0
        assert [getattr(x.grad, "data", x.grad) for x in xs] == [x.grad for x in plain], case["name"]  # the same floats
        first = xs[0].grad
        if xs[0] not in reached:
            assert first == 0.0 and case["hessian"][0] == [0.0] * len(xs)
            continue
        for x in xs:
            x.zero_grad()
        first.backward()
        scale = scale_of(sum(case["hessian"], []))
        assert all(agree(x.grad, h, scale) for x, h in zip(xs, case["hessian"][0])), case["name"]


def test_the_corpus_is_what_torch_computes(torch):
    assert make_second_order.main(["--check"]) == 0


def test_against_torch_func_and_autograd_functional_directly(torch):
    import torch.func

    def ours(x, y, z):
        return (x * y).sin() * z.exp() + (x / (1 + z * z)).tanh() - y.sigmoid() * x ** 3

    def theirs(x, y, z):
        return torch.sin(x * y) * torch.exp(z) + torch.tanh(x / (1 + z * z)) - torch.sigmoid(y) * x ** 3

    point, v = (0.3, -1.1, 0.6), (0.5, 2.0, -1.0)
    tensors = tuple(torch.tensor(p) for p in point)
    tangents = tuple(torch.tensor(t) for t in v)
    H = torch.autograd.functional.hessian(theirs, tensors)
    assert sum(hessian(ours)(*point), ()) == pytest.approx([h.item() for row in H for h in row], rel=1e-12)
    _, Hv = torch.autograd.functional.hvp(theirs, tensors, tangents)
    assert hvp(ours, point, v) == pytest.approx([h.item() for h in Hv], rel=1e-12)
    value, along = torch.func.jvp(theirs, tensors, tangents)
    assert jvp(ours, point, v) == pytest.approx((value.item(), along.item()), rel=1e-12)
    third = torch.func.grad(torch.func.grad(torch.func.grad(lambda x: theirs(x, tensors[1], tensors[2]))))(tensors[0])
    along_x = grad(grad(grad(lambda x: ours(x, Value(point[1]), Value(point[2])))))
    assert along_x(point[0]) == pytest.approx(third.item(), rel=1e-12)

    def pair(x, y):
        return [x * y.exp(), (x - y).cos()]

    J = torch.autograd.functional.jacobian(lambda x, y: torch.stack([x * torch.exp(y), torch.cos(x - y)]),
                                           tensors[:2])
    assert sum(jacobian(pair)(*point[:2]), ()) == pytest.approx([J[j][i].item() for i in range(2) for j in range(2)],
                                                                rel=1e-12)


# -------------------------------------------------------------------- the functional API


def test_nested_grad_is_every_derivative_and_no_longer_zero():
    f = lambda x: (x * x * x).tanh()  # noqa: E731
    t = math.tanh(0.7 ** 3)
    d1 = (1 - t * t) * 3 * 0.7 ** 2
    assert grad(f)(0.7) == pytest.approx(d1, rel=1e-14)
    assert grad(grad(f))(0.7) != 0.0  # the old answer, silently wrong
    h = 1e-5
    assert grad(grad(f))(0.7) == pytest.approx((grad(f)(0.7 + h) - grad(f)(0.7 - h)) / (2 * h), rel=1e-8)
    assert grad(grad(grad(f)))(0.7) == pytest.approx((grad(grad(f))(0.7 + h) - grad(grad(f))(0.7 - h)) / (2 * h),
                                                      rel=1e-6)
    assert grad(grad(grad(grad(lambda x: x ** 5))))(2.0) == 120 * 2.0
    value, (dx, dy) = value_and_grad(grad(lambda x, y: x * x * y, argnums=0), argnums=(0, 1))(3.0, 2.0)
    assert (value, dx, dy) == (12.0, 4.0, 6.0)  # d/dx = 2xy = 12; its d/dx = 2y, d/dy = 2x
    assert isinstance(value, float) and isinstance(dx, float)


def test_inside_a_recording_grad_gives_values_connected_to_its_arguments():
    seen = []

    def outer(x):
        inner = grad(lambda y: y * y * x)(x)  # d/dy (y^2 x) at y = x: 2x^2, a Value here
        seen.append(inner)
        return inner

    assert grad(outer)(3.0) == 12.0  # d/dx 2x^2 = 4x
    assert isinstance(seen[0], Value) and seen[0].data == 18.0
    x = Value(3.0)
    assert grad(lambda y: y * y)(x) == 6.0 and x.grad == 0.0  # at the top level: floats, the caller's Value untouched


def test_forward_mode_through_a_gradient_and_reverse_through_forward():
    f = lambda x: x.sin() * x  # noqa: E731
    second = grad(grad(f))(0.4)
    assert grad(lambda x: jvp(f, (x,), (1.0,))[1])(0.4) == pytest.approx(second, rel=1e-14)
    assert jvp(grad(f), (0.4,), (1.0,))[1] == pytest.approx(second, rel=1e-14)


def test_n_jvps_give_the_gradient_that_one_backward_gives():
    def f(*xs):
        return engine.sum([(a - b) ** 2 * a.tanh() for a, b in zip(xs, xs[1:])])

    point = [0.1 * k - 0.7 for k in range(12)]
    reverse = grad(f, argnums=tuple(range(12)))(*point)
    forward = [jvp(f, point, [1.0 if j == i else 0.0 for j in range(12)])[1] for i in range(12)]
    assert forward == pytest.approx(list(reverse), rel=1e-13)


def test_structural_zeros_are_masked_at_every_order():
    # sqrt(relu(x)) at x < 0: PyTorch gives 0 at every order, not nan (the relu is off)
    f = lambda x: x.relu().sqrt()  # noqa: E731
    assert grad(f)(-1.0) == grad(grad(f))(-1.0) == grad(grad(grad(f)))(-1.0) == 0.0
    g = lambda x: x ** 0 * x.log()  # noqa: E731  (x ** 0 is 1 whatever x is; log(0) is -inf)
    assert grad(grad(lambda x: x ** 0))(0.0) == 0.0
    assert math.isinf(grad(g)(0.0)) and grad(lambda x: (x * 0.0) ** 0)(0.0) == 0.0
    x = Value(-2.0)
    (x.relu() ** 3).backward(create_graph=True)
    assert x.grad.data == 0.0 and grad(grad(lambda x: x.relu() ** 3))(-2.0) == 0.0
    assert grad(grad(lambda x: x.relu() ** 3))(2.0) == 12.0


def test_your_own_operation_gets_second_derivatives_or_says_how():
    from engine import numerics

    @engine.operation
    def softplus(x):  # written with engine.numerics: it runs on Values too
        return numerics.softplus(x), (numerics.sigmoid(x),)

    s = 1 / (1 + math.exp(-0.3))
    assert grad(grad(lambda x: softplus(x * 2)))(0.15) == pytest.approx(4 * s * (1 - s), rel=1e-14)

    @engine.operation
    def floats_only(x):
        return math.log1p(math.exp(x)), (1 / (1 + math.exp(-x)),)

    assert grad(lambda x: floats_only(x))(0.3) == pytest.approx(s, rel=1e-14)  # first order is as ever
    with pytest.raises(TypeError, match=r"operation 'floats_only' cannot be differentiated again, since its rule "
                                        r"works on floats only .*engine\.numerics"):
        grad(grad(lambda x: floats_only(x)))(0.3)

    y = Value(2.0)
    made_by_hand = Value(4.0, op="sq", parents=(y,), local_grads=(4.0,))
    with pytest.raises(TypeError, match="'sq' was made by Value.*without a rule.*@engine.operation"):
        made_by_hand.backward(create_graph=True)


def test_constants_fused_nodes_and_networks_differentiate_twice():
    from nn import MLP

    model = MLP(2, [3, 1], activation="tanh", seed=0)

    def loss(a, b):  # a network's dot nodes, a max, constants on either side, a leaky relu's slope
        return (model([a, b]) - 1.0) ** 2 + engine.max([a, b * 2.0]) * a + 2.0 ** a + (b * a).leaky_relu(0.3) / 3

    H = hessian(loss)(0.3, -0.4)
    h = 1e-5
    for i in range(2):
        for j in range(2):
            def d_i(*p):
                return grad(loss, argnums=i)(*p)

            up = [0.3, -0.4]
            down = list(up)
            up[j] += h
            down[j] -= h
            assert H[i][j] == pytest.approx((d_i(*up) - d_i(*down)) / (2 * h), rel=1e-6, abs=1e-9)
    assert H[0][1] == pytest.approx(H[1][0], rel=1e-12)


def test_drawing_explaining_and_stepping_a_gradient():
    x = Value(0.5, label="x")
    y = (x * x).tanh()
    y.label = "y"
    y.backward(create_graph=True)
    dydx = x.grad
    assert dydx.data == pytest.approx(2 * 0.5 * (1 - math.tanh(0.25) ** 2), rel=1e-15)
    graph = draw(dydx)
    assert "tanh" in graph.source and "x" in graph.source
    x.zero_grad()
    text = str(explain(dydx, x))
    total = grad(grad(lambda v: (v * v).tanh()))(0.5)
    assert text.rstrip().splitlines()[-1].split("(sum")[0].strip().endswith(f"= {total:.4g}")
    steps = list(engine.backward_steps(dydx))  # the stepper's steps through the double backward
    assert any(u.parent is x for step in steps for u in step.updates)
    x.zero_grad()
    dydx.backward()
    assert x.grad == pytest.approx(total, rel=1e-14)


def test_create_graph_records_inside_no_grad_and_leaves_accumulate():
    x = Value(1.5)
    with no_grad():
        (x * x * x).backward(create_graph=True)
    assert x.grad == 0.0  # inside no_grad the product itself was not recorded: x is not in its graph
    x = Value(1.5)
    y = x * x * x
    y.backward()
    with no_grad():
        y.backward(create_graph=True)  # the gradient's graph is recorded even here
    assert isinstance(x.grad, Value) and x.grad.data == 2 * 3 * 1.5 ** 2 and x.grad.parents


def hooked_graph(Tensor, double):
    """y = h^3 with h = x * w: a hook on h doubles its gradient, one on x records it."""
    x, w = Tensor(0.7), Tensor(-1.3)
    h = x * w
    seen = []
    h.register_hook(double)
    x.register_hook(lambda g: seen.append(g))
    return x, w, h * h * h, seen


def test_hooks_see_gradients_as_values_and_a_replacement_flows_on_and_differentiates(torch):
    x, w, y, seen = hooked_graph(Value, lambda g: g * 2)
    y.backward(create_graph=True)
    tx, tw, ty, tseen = hooked_graph(lambda v: torch.tensor(v, requires_grad=True), lambda g: g * 2)
    (tdx,) = torch.autograd.grad(ty, tx, create_graph=True)  # its .grad, without backward's reference cycle
    assert len(seen) == 1 and isinstance(seen[0], Value) and seen[0].parents  # the hook got the recorded Value
    assert seen[0].data == pytest.approx(tseen[0].item(), rel=1e-14)
    assert x.grad.data == pytest.approx(tdx.item(), rel=1e-14)  # doubled: 2 * 3 h^2 w
    # The doubling is part of the gradient's graph: d(dy/dx)/dw agrees with PyTorch's.
    dx = x.grad
    x.zero_grad(), w.zero_grad()
    dx.backward()
    (twice,) = torch.autograd.grad(tdx, tw)
    assert w.grad == pytest.approx(twice.item(), rel=1e-14)


def test_a_hook_may_return_a_number_under_create_graph_and_gets_a_clear_error_for_anything_else():
    x = Value(2.0)
    x.register_hook(lambda g: 5.0)
    (x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 5.0 and not x.grad.parents  # a constant
    x = Value(2.0)
    y = x * x

    def shout(g):
        return "big"

    y.register_hook(shout)
    with pytest.raises(TypeError, match="what hook 'shout' on"):
        y.backward(create_graph=True)


# -------------------------------------------------------------------- bad input


@pytest.mark.parametrize("flag", [1, "yes", None])
def test_create_graph_must_be_a_bool(flag):
    with pytest.raises(TypeError, match=r"backward\(create_graph\) must be True or False"):
        Value(1.0).backward(create_graph=flag)


def test_bad_arguments_name_what_was_wrong():
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(TypeError, match=r"hessian\(f\): f must return one Value, got a list of 2; .*jacobian"):
        hessian(lambda x, y: [x, y])(1.0, 2.0)
    with pytest.raises(TypeError, match=r"jvp\(f\): f must return one Value, got a list of 2; .*jacobian"):
        jvp(lambda x: [x * 2, x * x], (1.0,), (1.0,))
    with pytest.raises(ValueError, match="jvp: 2 primals but 1 tangents"):
        jvp(f, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match="hvp: 2 primals but 3 tangents"):
        hvp(f, (1.0, 2.0), (1.0, 0.0, 0.0))
    with pytest.raises(TypeError, match="jvp's tangents must be a sequence of numbers, got float"):
        jvp(f, (1.0, 2.0), 1.0)
    with pytest.raises(TypeError, match=r"jvp's tangents\[1\]"):
        jvp(f, (1.0, 2.0), (1.0, "a"))
    with pytest.raises(TypeError, match=r"hessian's argument 1"):
        hessian(f)(1.0, None)
    with pytest.raises(TypeError, match=r"jacobian\(f\): f must return a list or tuple of Values, got Value"):
        jacobian(f)(1.0, 2.0)
    with pytest.raises(TypeError, match="hvp needs a callable f"):
        hvp(3, (1.0,), (1.0,))
    assert hessian(lambda x: 5.0)(1.0) == ((0.0,),)  # a constant function: zeros


# -------------------------------------------------------------------- grad modes per thread


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    entered, made, done = threading.Event(), {}, threading.Event()

    def sit_in_no_grad():
        with no_grad():
            made["inside"] = Value(2.0) * 3
            entered.set()
            done.wait(10)

    other = threading.Thread(target=sit_in_no_grad)
    other.start()
    assert entered.wait(10)
    try:
        assert engine.is_grad_enabled()
        made["here"] = Value(2.0) * 3
        with engine.detect_anomaly():
            checked = threading.Thread(target=lambda: made.setdefault("log", Value(-1.0).log()))
            checked.start()
            checked.join(10)
    finally:
        done.set()
        other.join(10)
    assert made["inside"].parents == () and len(made["here"].parents) == 1
    assert math.isnan(made["log"].data)  # the other thread was not inside detect_anomaly: no error there
    with pytest.raises(FloatingPointError):
        with engine.detect_anomaly():
            Value(-1.0).log()
    assert engine.modes.switched == 0 and engine.is_grad_enabled()


def test_set_grad_enabled_and_a_decorator_in_two_threads():
    @no_grad()
    def evaluate(results, key):
        results[key] = Value(1.0) + 1

    results = {}
    threads = [threading.Thread(target=evaluate, args=(results, k)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(v.parents == () for v in results.values())
    with engine.set_grad_enabled(False):
        assert (Value(1.0) * 2).parents == ()
        with engine.set_grad_enabled(True):
            assert (Value(1.0) * 2).parents
    with pytest.raises(TypeError, match="set_grad_enabled.mode. needs True or False"):
        engine.set_grad_enabled(1)
