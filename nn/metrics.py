"""Judging a model: ``accuracy`` of its outputs, and ``evaluate``, its loss and accuracy on a data set.

Each classification loss reads an output its own way (the largest score, the sign of a score, a
probability above 0.5), so accuracy reads it the same way: one rule per loss, in ``IS_RIGHT``.
``fit`` uses both after every step and epoch; they work on their own too.
"""

from engine import no_grad
from nn.checks import paired, rows
from nn.losses import bce_with_logits, binary_cross_entropy, cross_entropy, hinge_loss


# -------------------------------------------------------------------- right or wrong, per loss
# How each classification loss reads one example's output: is it the right answer?


def _class_is_right(logits, target):
    return max(range(len(logits)), key=lambda i: logits[i].data) == target


def _sign_is_right(score, label):
    return (_scalar(score) > 0.0) == (label > 0)


def _logit_is_right(logit, target):
    return (_scalar(logit) > 0.0) == (target == 1)


def _probability_is_right(probability, target):
    return (_scalar(probability) > 0.5) == (target == 1)


def _scalar(output):
    """The number in a Value, or in a list holding one Value (a layer with one neuron)."""
    if isinstance(output, (list, tuple)):
        (output,) = output
    return output.data


IS_RIGHT = {
    cross_entropy: _class_is_right,
    hinge_loss: _sign_is_right,
    bce_with_logits: _logit_is_right,
    binary_cross_entropy: _probability_is_right,
}


def accuracy(outputs, targets, loss=cross_entropy, is_right=None):
    """The fraction of examples whose output is right, read the way ``loss`` reads it.

    cross_entropy: the largest score is the target class; hinge_loss: the score's sign is the label's;
    bce_with_logits: score > 0 means 1; binary_cross_entropy: probability > 0.5 means 1. For another
    loss pass ``is_right(output, target) -> bool``.

    >>> from engine import Value
    >>> accuracy([Value(2.0), Value(-1.0), Value(0.5)], [1, 1, -1], loss=hinge_loss)
    0.3333333333333333
    """
    rule = is_right_rule(loss, is_right)
    if rule is None:
        raise ValueError(f"no accuracy rule for {getattr(loss, '__name__', loss)!r}: pass is_right(output, target)")
    targets = list(targets)
    paired(outputs, targets, "outputs", "targets")
    return sum(map(rule, outputs, targets)) / len(targets)


def is_right_rule(loss, is_right):
    """``is_right`` if given, else the rule of ``loss`` (None for a loss without one)."""
    return is_right if is_right is not None else IS_RIGHT.get(loss)


def evaluate(model, X, y, loss, is_right=None):
    """``(loss, accuracy)`` of ``model`` on ``(X, y)``, under ``no_grad`` and in eval mode.

    accuracy is None when ``loss`` has no accuracy rule and no ``is_right`` is given.

    >>> from nn import MLP, datasets, hinge_loss
    >>> X, y = datasets.moons(20)
    >>> loss, acc = evaluate(MLP(2, [8, 1], seed=0), X, [2 * t - 1 for t in y], hinge_loss)
    >>> 0.0 <= acc <= 1.0
    True
    """
    X, y = rows(X), list(y)
    rule = is_right_rule(loss, is_right)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(x) for x in X]
            value = loss(outputs, y).data
    finally:
        model.train(was_training)
    return value, (None if rule is None else sum(map(rule, outputs, y)) / len(y))
