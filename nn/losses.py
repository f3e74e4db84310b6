"""Loss functions and penalties: each takes Values and returns one Value to call ``backward()`` on.

A loss over a batch is the mean of the per-example losses, as PyTorch's default (``reduction="mean"``).
Each is built from few nodes (one ``engine.sum`` or ``engine.dot`` where a plain ``sum`` would make
n nodes), so its graph stays small to draw and fast to differentiate. Targets are checked where they
come in: a label that cannot be right raises ``ValueError`` naming it (one that is not a number
at all, ``TypeError``).
"""

import numbers
import operator

import engine
from engine import Value
from engine.checks import real_number
from nn.checks import non_negative, paired

# -------------------------------------------------------------------- regression


def mse_loss(predictions, targets):
    """Mean squared error: (1/n) sum (p - t)^2;  d/dp = 2 (p - t) / n.

    Args:
        predictions: a Value, a list of Values, or a list of lists (several outputs per example).
        targets: numbers shaped like ``predictions``.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data     # (1 + 4) / 2
    2.5
    """
    ps, ts = _flat(predictions), _flat(targets)
    paired(ps, ts, "predictions", "targets")
    for t in ts:
        real_number(t, "mse_loss target")
    errors = [p - t for p, t in zip(ps, ts)]
    return engine.dot(errors, errors) / len(errors)  # one node for the sum of squares


# -------------------------------------------------------------------- two classes


def hinge_loss(scores, labels):
    """micrograd's max-margin loss: mean of max(0, 1 - y s) for labels y in {-1, 1}.

    Zero once an example is on the right side with margin 1; d/ds = -y while it is not.

    >>> hinge_loss([Value(2.0), Value(0.5)], [1, -1]).data         # (0 + 1.5) / 2
    0.75
    """
    ss, ys = _flat(scores), _flat(labels)
    paired(ss, ys, "predictions", "targets")
    for y in ys:
        if y != 1 and y != -1:
            raise ValueError(f"hinge_loss labels must be -1 or 1, got {y!r} (for 0/1 labels use 2*y - 1)")
    return engine.sum([(1 - y * s).relu() for s, y in zip(ss, ys)]) / len(ss)


def binary_cross_entropy(probabilities, targets):
    """-(1/n) sum [t log p + (1 - t) log(1 - p)] for probabilities p in (0, 1) and targets t in {0, 1}.

    Only one of the two terms is non-zero for each example, so only that one is built. A probability
    of exactly 0 or 1 on the wrong side gives ``inf`` (PyTorch clamps the log at -100 instead): from
    a network, prefer ``bce_with_logits`` on the score before the sigmoid.

    >>> round(binary_cross_entropy([Value(0.8), Value(0.4)], [1, 0]).data, 6)   # -(ln 0.8 + ln 0.6) / 2
    0.366985
    """
    ps, ts = _flat(probabilities), _flat(targets)
    paired(ps, ts, "predictions", "targets")
    logs = [p.log() if _binary_label(t, "binary_cross_entropy") else (1 - p).log() for p, t in zip(ps, ts)]
    return -engine.sum(logs) / len(logs)


def bce_with_logits(logits, targets):
    """Binary cross-entropy on the score z before the sigmoid, stable for any z.

    loss = softplus(z) - t z, which is softplus(-z) for t = 1 and softplus(z) for t = 0, where
    softplus(s) = log(1 + e^s) is computed without ever forming a huge e^s. d/dz = sigmoid(z) - t.

    >>> round(bce_with_logits([Value(1000.0), Value(-1000.0)], [1, 0]).data, 6)  # confident and right
    0.0
    """
    zs, ts = _flat(logits), _flat(targets)
    paired(zs, ts, "predictions", "targets")
    losses = [_softplus(-z if _binary_label(t, "bce_with_logits") else z) for z, t in zip(zs, ts)]
    return engine.sum(losses) / len(losses)


def _softplus(s):
    """log(1 + e^s), as s + log(1 + e^-s) when s > 0 so that the exponential never overflows."""
    if s.data > 0.0:
        return s + ((-s).exp() + 1).log()
    return (s.exp() + 1).log()


# -------------------------------------------------------------------- many classes


def softmax(logits):
    """exp(z_i) / sum_j exp(z_j): scores to probabilities that sum to 1.

    Computed on z - max(z) (the same result: the shift cancels) so that large scores do not overflow.

    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [0.09, 0.2447, 0.6652]
    """
    top = _largest_score(logits, "softmax", "at least one score")
    exps = [(z - top).exp() for z in logits]
    total = engine.sum(exps)
    return [e / total for e in exps]


def cross_entropy(logits, target):
    """-log softmax(z)[target] = log sum_j exp(z_j) - z_target;  d/dz_i = softmax(z)_i - [i == target].

    Args:
        logits: one example's scores (a list of Values), or a batch of them (a list of lists).
        target: the class index (an int), or one per example; the result is then the batch mean.

    Uses log-sum-exp shifted by the largest score, so scores of 1000 do not overflow.

    >>> round(cross_entropy([Value(1000.0), Value(0.0)], 1).data, 6)   # confident and wrong
    1000.0
    >>> cross_entropy([[Value(5.0), Value(5.0)], [Value(1.0), Value(1.0)]], [0, 1]).data == 0.6931471805599453
    True
    """
    if isinstance(target, numbers.Number) or _is_index(target):
        return _cross_entropy_one(logits, target)
    targets = list(target)
    paired(logits, targets, "predictions", "targets")
    return engine.sum([_cross_entropy_one(z, t) for z, t in zip(logits, targets)]) / len(targets)


def _cross_entropy_one(logits, target):
    if isinstance(logits, Value):
        raise ValueError("cross_entropy needs a list of scores, one per class, got a single Value")
    top = _largest_score(logits, "cross_entropy", "at least one score (one per class)")
    k = _class_index(target, len(logits))
    # top is a plain number, not a node: subtracting it changes no gradient (the shift cancels).
    shifted = [z - top for z in logits]
    return engine.sum([s.exp() for s in shifted]).log() - shifted[k]


# -------------------------------------------------------------------- penalties


def l1_penalty(parameters, alpha=1.0):
    """alpha * sum |p|: pushes weights to exactly 0 (d/dp = alpha * sign(p)).

    >>> l1_penalty([Value(-2.0), Value(3.0)], alpha=0.5).data
    2.5
    """
    return engine.sum([abs(p) for p in parameters]) * non_negative(alpha, "l1_penalty alpha")


def l2_penalty(parameters, alpha=1.0):
    """alpha * sum p^2 (one dot node): pulls weights towards 0 (d/dp = 2 alpha p), micrograd's regulariser.

    >>> round(l2_penalty([Value(-2.0), Value(3.0)], alpha=1e-4).data, 12)
    0.0013
    """
    parameters = tuple(parameters)
    return engine.dot(parameters, parameters) * non_negative(alpha, "l2_penalty alpha")


# -------------------------------------------------------------------- checking input


def _flat(xs):
    """A Value or number becomes [it]; a list of lists becomes one list (several outputs per example)."""
    if isinstance(xs, (Value, numbers.Real)):
        return [xs]
    flat = []
    for x in xs:
        if isinstance(x, (list, tuple)):
            flat.extend(x)
        else:
            flat.append(x)
    return flat


def _largest_score(logits, loss, needs):
    """max(z.data for z in logits), the shift of a stable softmax; if that fails, the error says what ``loss`` got.

    ``needs`` says what ``loss`` needs ("at least one score"). The checks run only once max has failed,
    so a well-formed call, one per example in training, pays nothing for them.
    """
    try:
        return max(z.data for z in logits)
    except (AttributeError, TypeError, ValueError):
        if not isinstance(logits, (list, tuple)):
            raise TypeError(f"{loss} scores must be a list of Values, got {type(logits).__name__}: {logits!r}") from None
        if not logits:
            raise ValueError(f"{loss} needs {needs}, got none") from None
        for z in logits:
            if not isinstance(z, Value):
                raise TypeError(f"{loss} scores must be Values, got {type(z).__name__}: {z!r}") from None
        raise


def _binary_label(t, loss):
    """True for label 1, False for label 0; anything else is a ValueError."""
    if t == 1:
        return True
    if t == 0:
        return False
    raise ValueError(f"{loss} targets must be 0 or 1, got {t!r} (for -1/1 labels use (y + 1) / 2)")


def _is_index(x):
    try:
        operator.index(x)
    except TypeError:
        return False
    return True


def _class_index(target, classes):
    if isinstance(target, bool) or not _is_index(target):
        raise ValueError(f"cross_entropy target must be a class index (an int), got {type(target).__name__}: {target!r}")
    k = operator.index(target)
    if not 0 <= k < classes:
        raise ValueError(f"cross_entropy target {k} is out of range for {classes} classes (0 to {classes - 1})")
    return k
