"""Losses and penalties: values and gradients against PyTorch in float64, stability, and bad targets."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import Value
from nn import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    softmax,
)


def _values(numbers):
    return [Value(x) for x in numbers]


def _check_against_torch(torch, ours, theirs, inputs):
    """ours(list of Values) and theirs(tensor) must agree in value and gradient to 1e-12."""
    xs = _values(inputs)
    out = ours(xs)
    out.backward()
    t = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    reference = theirs(t)
    reference.backward()
    assert out.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-12)
    assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), rel=1e-12, abs=1e-12)


INPUTS = [random.Random(0).uniform(-3, 3) for _ in range(8)]


def test_mse_matches_torch(torch):
    targets = [random.Random(1).uniform(-3, 3) for _ in INPUTS]
    _check_against_torch(
        torch,
        lambda xs: mse_loss(xs, targets),
        lambda t: torch.nn.functional.mse_loss(t, torch.tensor(targets)),
        INPUTS,
    )


def test_mse_takes_several_outputs_per_example(torch):
    xs = _values(INPUTS)
    loss = mse_loss([xs[:4], xs[4:]], [[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]])
    reference = torch.nn.functional.mse_loss(torch.tensor(INPUTS), torch.tensor([1.0, 2.0, 3.0, 4.0, 0, 0, 0, 0]))
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)


def test_hinge_matches_its_definition_in_torch(torch):
    labels = [1, -1, -1, 1, 1, -1, 1, -1]
    _check_against_torch(
        torch,
        lambda xs: hinge_loss(xs, labels),
        lambda t: torch.relu(1 - torch.tensor(labels, dtype=torch.float64) * t).mean(),
        INPUTS,
    )


def test_binary_cross_entropy_matches_torch(torch):
    probabilities = [0.1, 0.35, 0.5, 0.9, 0.999, 0.02]
    targets = [0, 1, 1, 0, 1, 0]
    _check_against_torch(
        torch,
        lambda ps: binary_cross_entropy(ps, targets),
        lambda t: torch.nn.functional.binary_cross_entropy(t, torch.tensor(targets, dtype=torch.float64)),
        probabilities,
    )


def test_bce_with_logits_matches_torch_including_zero_and_huge_logits(torch):
    logits = [-1000.0, -40.0, -2.0, 0.0, 0.0, 1.5, 40.0, 1000.0]
    targets = [0, 1, 1, 0, 1, 0, 1, 1]
    _check_against_torch(
        torch,
        lambda zs: bce_with_logits(zs, targets),
        lambda t: torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(targets, dtype=torch.float64)),
        logits,
    )


@pytest.mark.parametrize("target", [0, 2, 4])
def test_cross_entropy_matches_torch_for_one_example(torch, target):
    _check_against_torch(
        torch,
        lambda zs: cross_entropy(zs, target),
        lambda t: torch.nn.functional.cross_entropy(t.unsqueeze(0), torch.tensor([target])),
        INPUTS[:5],
    )


def test_cross_entropy_averages_a_batch_like_torch(torch):
    rng = random.Random(2)
    logits = [[rng.uniform(-5, 5) for _ in range(4)] for _ in range(6)]
    targets = [rng.randrange(4) for _ in range(6)]
    values = [_values(row) for row in logits]
    loss = cross_entropy(values, targets)
    loss.backward()
    t = torch.tensor(logits, requires_grad=True)
    reference = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)
    assert [v.grad for row in values for v in row] == pytest.approx(t.grad.flatten().tolist(), abs=1e-12)


def test_cross_entropy_does_not_overflow_on_large_logits(torch):
    logits = [1000.0, 0.0, -1000.0, 999.0]
    _check_against_torch(
        torch,
        lambda zs: cross_entropy(zs, 3),
        lambda t: torch.nn.functional.cross_entropy(t.unsqueeze(0), torch.tensor([3])),
        logits,
    )


def test_softmax_matches_torch_and_sums_to_one(torch):
    weights = [0.3, -1.2, 2.0, 0.7, -0.4]
    xs = _values(INPUTS[:5])
    probabilities = softmax(xs)
    assert math.fsum(p.data for p in probabilities) == pytest.approx(1.0, abs=1e-15)
    engine.dot(probabilities, weights).backward()
    t = torch.tensor(INPUTS[:5], requires_grad=True)
    reference = torch.softmax(t, dim=0)
    (reference * torch.tensor(weights)).sum().backward()
    assert [p.data for p in probabilities] == pytest.approx(reference.tolist(), abs=1e-15)
    assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), abs=1e-12)
    assert [p.data for p in softmax(_values([1000.0, 1000.0]))] == [0.5, 0.5]


@given(
    st.lists(st.floats(-50, 50), min_size=2, max_size=6),
    st.integers(0, 5),
)
def test_cross_entropy_gradient_is_softmax_minus_one_hot(logits, target):
    target %= len(logits)
    xs = _values(logits)
    cross_entropy(xs, target).backward()
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = math.fsum(exps)
    expected = [e / total - (i == target) for i, e in enumerate(exps)]
    assert [x.grad for x in xs] == pytest.approx(expected, abs=1e-12)


def test_penalties_match_their_formulas(torch):
    _check_against_torch(torch, lambda ps: l2_penalty(ps, 1e-4), lambda t: 1e-4 * (t * t).sum(), INPUTS)
    _check_against_torch(torch, lambda ps: l1_penalty(ps, 0.01), lambda t: 0.01 * t.abs().sum(), INPUTS)


def test_losses_are_built_from_few_nodes():
    params = _values(INPUTS)
    assert len(engine.topological_order(l2_penalty(params, 1e-4))) == len(params) + 2  # leaves, dot, *alpha
    scores = _values(INPUTS)
    hinge = hinge_loss(scores, [1] * len(scores))
    interior = [node for node in engine.topological_order(hinge) if node.parents]
    assert len(interior) == 3 * len(scores) + 2  # per example *y, 1-, relu; then one sum and one mean


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: hinge_loss([Value(1.0)], [0]), "must be -1 or 1, got 0"),
        (lambda: hinge_loss([Value(1.0), Value(2.0)], [1]), "2 predictions but 1 targets"),
        (lambda: binary_cross_entropy([Value(0.5)], [-1]), "must be 0 or 1, got -1"),
        (lambda: bce_with_logits([Value(0.5)], [2]), "must be 0 or 1, got 2"),
        (lambda: cross_entropy(_values([1.0, 2.0, 3.0]), 3), "target 3 is out of range for 3 classes"),
        (lambda: cross_entropy(_values([1.0, 2.0]), -1), "target -1 is out of range"),
        (lambda: cross_entropy(_values([1.0, 2.0]), 1.0), "class index"),
        (lambda: cross_entropy(_values([1.0, 2.0]), True), "class index"),
        (lambda: cross_entropy([_values([1.0, 2.0])], [0, 1]), "1 predictions but 2 targets"),
        (lambda: mse_loss([], []), "got no predictions"),
    ],
)
def test_bad_targets_raise_value_errors_that_name_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_target_that_is_not_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="mse_loss target must be a real number"):
        mse_loss([Value(1.0)], ["1"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: softmax([]), "softmax needs at least one score, got none"),
        (lambda: cross_entropy([], 0), r"cross_entropy needs at least one score \(one per class\), got none"),
        (lambda: cross_entropy([_values([1.0, 2.0]), []], [0, 1]), r"cross_entropy needs at least one score"),
        (lambda: l1_penalty(_values([1.0]), -1), "l1_penalty alpha must be >= 0, got -1.0"),
        (lambda: l2_penalty(_values([1.0]), float("nan")), "l2_penalty alpha must be a finite number, got nan"),
    ],
)
def test_empty_scores_and_bad_penalty_weights_are_value_errors_that_name_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: softmax([1.0, 2.0]), "softmax scores must be Values, got float: 1.0"),
        (lambda: cross_entropy([Value(1.0), 2.0], 0), "cross_entropy scores must be Values, got float: 2.0"),
        (lambda: softmax(None), "softmax scores must be a list of Values, got NoneType: None"),
        (lambda: cross_entropy(None, 0), "cross_entropy scores must be a list of Values, got NoneType: None"),
    ],
)
def test_scores_that_are_not_values_are_type_errors(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_a_single_value_is_a_batch_of_one():
    assert mse_loss(Value(3.0), 1.0).data == 4.0
    assert hinge_loss(Value(0.25), -1).data == 1.25
