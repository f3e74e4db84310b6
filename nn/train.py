"""The training loop: forward, loss, backward, (clip), step, for every batch of every epoch.

``fit`` runs the loop, evaluates under ``no_grad`` after each epoch, stops early once the loss has
converged and returns a ``History``. ``evaluate`` and ``accuracy`` are the pieces it uses to judge
a model, and work on their own.
"""

import math
import sys
import time

from engine import no_grad
from nn.checks import non_negative, paired, whole_number
from nn.datasets import batches
from nn.history import History
from nn.losses import bce_with_logits, binary_cross_entropy, cross_entropy, hinge_loss, l1_penalty, l2_penalty
from nn.module import Layer
from nn.optim import Adam, clip_grad_norm

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
    rule = _rule(loss, is_right)
    if rule is None:
        raise ValueError(f"no accuracy rule for {getattr(loss, '__name__', loss)!r}: pass is_right(output, target)")
    targets = list(targets)
    paired(outputs, targets, "outputs", "targets")
    return sum(map(rule, outputs, targets)) / len(targets)


def _rule(loss, is_right):
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
    X, y = _rows(X), list(y)
    rule = _rule(loss, is_right)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            outputs = [model(x) for x in X]
            value = loss(outputs, y).data
    finally:
        model.train(was_training)
    return value, (None if rule is None else sum(map(rule, outputs, y)) / len(y))


def dead_relu_fraction(model, X):
    """The fraction of the model's ReLU neurons (in its ``Layer``s) that output 0 for every row of X.

    A dead ReLU passes no gradient back (relu'(x) = 0 for x <= 0), so nothing ever revives it.
    Returns None for a model without ReLU layers.

    >>> from nn import MLP
    >>> dead_relu_fraction(MLP(2, [4, 1], seed=0), [(0.5, -0.5), (1.0, 1.0)]) <= 1.0
    True
    """
    layers = _relu_layers(model)
    if not layers:
        return None
    was_training = model.training
    model.eval()
    _start_counting(layers)
    try:
        with no_grad():
            for x in _rows(X):
                model(x)
        return _dead_fraction(layers)
    finally:
        _stop_counting(layers)
        model.train(was_training)


def _relu_layers(model):
    return [m for _, m in model.named_modules() if isinstance(m, Layer) and m.activation == "relu"]


def _start_counting(layers):
    for layer in layers:
        layer.fired = [False] * layer.nout


def _dead_fraction(layers):
    flags = [flag for layer in layers for flag in layer.fired]
    return flags.count(False) / len(flags)


def _stop_counting(layers):
    for layer in layers:
        layer.fired = None


# -------------------------------------------------------------------- the loop


def fit(
    model,
    X,
    y,
    loss,
    optimizer=None,
    epochs=20,
    batch_size=32,
    validation=None,
    tol=1e-4,
    patience=5,
    schedule=None,
    clip_norm=None,
    l1=0.0,
    l2=0.0,
    shuffle=True,
    seed=0,
    is_right=None,
    progress=None,
):
    """Train ``model`` on ``(X, y)``: for each batch, forward, loss, backward, (clip), step.

    Args:
        model: a Module; called on one row of X at a time.
        X, y: the training rows (sequences of numbers, turned into tuples of floats once) and targets.
        loss: a loss function ``loss(outputs, targets) -> Value``, e.g. ``nn.cross_entropy``.
        optimizer: defaults to ``Adam(model.parameters(), lr=0.01)``.
        epochs: the most passes over the data.
        batch_size: examples per step; None for the whole set (full-batch gradient descent).
        validation: ``(X_val, y_val)``, evaluated under ``no_grad`` after every epoch.
        tol, patience: stop once the training loss has not improved by a relative ``tol`` for
            ``patience`` epochs in a row (``patience=None`` never stops early).
        schedule: a function epoch -> learning rate (``linear_decay``, ...), applied at each epoch's start.
        clip_norm: clip the gradients' joint norm to this before each step.
        l1, l2: add ``l1_penalty(parameters, l1)`` and ``l2_penalty(parameters, l2)`` to each batch's loss.
        shuffle, seed: shuffle the batches anew each epoch, reproducibly (epoch k uses seed + k).
        is_right: ``(output, target) -> bool`` for accuracy with a loss ``accuracy`` does not know.
        progress: show a progress bar: None shows one in a notebook or a terminal (not when output
            goes to a file or pipe), True always, False never.

    Returns:
        A ``History``. The recorded training loss is the data loss, without the l1 / l2 penalty, so
        that it compares with the validation loss.

    >>> from nn import MLP, SGD, datasets, hinge_loss, linear_decay
    >>> X, y = datasets.moons(100, noise=0.1, seed=0)
    >>> model = MLP(2, [16, 16, 1], init="uniform", seed=1)
    >>> history = fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=1.0),
    ...               epochs=3, batch_size=None, l2=1e-4, schedule=linear_decay(1.0, 0.1, 100))
    >>> history.epochs, history.lr
    (3, [1.0, 0.991, 0.982])
    """
    start = time.perf_counter()
    X, y = _rows(X), list(y)
    paired(X, y, "rows", "targets")
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(outputs, targets), got {type(loss).__name__}")
    whole_number(epochs, "epochs")
    if patience is not None:
        whole_number(patience, "patience (or None)")
    non_negative(tol, "tol")
    if batch_size is not None:
        whole_number(batch_size, "batch_size (or None for full batches)")
    named = model.named_parameters()  # also labels every parameter with its name
    parameters = tuple(value for _, value in named)
    optimizer = optimizer if optimizer is not None else Adam(parameters, lr=0.01)
    layers = _layer_groups(model, named)
    rule = _rule(loss, is_right)
    relu_layers = _relu_layers(model)
    steps_per_epoch = 1 if batch_size is None else math.ceil(len(X) / batch_size)
    bar = _progress_bar(progress, epochs * steps_per_epoch)

    history = History()
    was_training = model.training
    best, waited = None, 0
    try:
        model.train()
        for epoch in range(epochs):
            if schedule is not None:
                optimizer.lr = schedule(epoch)
            if bar is not None:
                bar.set_description(f"epoch {epoch + 1}/{epochs}")
            _start_counting(relu_layers)
            epoch_batches = batches(X, y, batch_size, shuffle, seed + epoch)
            train_loss, train_accuracy, norms = _train_one_epoch(
                model, epoch_batches, loss, optimizer, parameters, l1, l2, clip_norm, layers, rule, bar
            )

            history.lr.append(optimizer.lr)
            history.train_loss.append(train_loss)
            if train_accuracy is not None:
                history.train_accuracy.append(train_accuracy)
            for name, norm in norms.items():
                history.grad_norms.setdefault(name, []).append(norm)
            if relu_layers:
                history.dead_relu.append(_dead_fraction(relu_layers))
                _stop_counting(relu_layers)  # before evaluating: only training examples count
            if validation is not None:
                val_loss, val_accuracy = evaluate(model, *validation, loss, is_right)
                history.val_loss.append(val_loss)
                if val_accuracy is not None:
                    history.val_accuracy.append(val_accuracy)
            if bar is not None:
                bar.set_postfix_str(_epoch_summary(history))

            # Converged? Compare with the best loss so far, relative to its size.
            if best is None or train_loss < best - tol * abs(best):
                best, waited = train_loss, 0
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    history.stopped_early = True
                    break
    finally:
        _stop_counting(relu_layers)
        model.train(was_training)
        if bar is not None:
            bar.close()
    history.seconds = time.perf_counter() - start
    return history


def _train_one_epoch(model, epoch_batches, loss, optimizer, parameters, l1, l2, clip_norm, layers, rule, bar):
    """One pass over the batches: forward, loss, backward, clip, step for each.

    Returns the mean data loss per example, the accuracy (None without a rule), and each layer's
    gradient norm averaged over the batches.
    """
    total_loss, right, seen, steps = 0.0, 0, 0, 0
    norm_sums = dict.fromkeys(layers, 0.0)
    for xb, yb in epoch_batches:
        outputs = [model(x) for x in xb]
        data_loss = loss(outputs, yb)
        objective = data_loss
        if l1:
            objective = objective + l1_penalty(parameters, l1)
        if l2:
            objective = objective + l2_penalty(parameters, l2)
        optimizer.zero_grad()
        objective.backward()
        for name, group in layers.items():
            norm_sums[name] += math.sqrt(math.fsum(p.grad * p.grad for p in group))
        if clip_norm is not None:
            clip_grad_norm(parameters, clip_norm)
        optimizer.step()

        steps += 1
        seen += len(xb)
        total_loss += data_loss.data * len(xb)
        if rule is not None:
            right += sum(map(rule, outputs, yb))
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(_summary(total_loss / seen, right / seen if rule else None), refresh=False)
    mean_norms = {name: norm_sum / steps for name, norm_sum in norm_sums.items()}
    return total_loss / seen, (right / seen if rule is not None else None), mean_norms


# -------------------------------------------------------------------- helpers


def _rows(X):
    """Each row as a tuple of floats, once, so that each layer prepares its input without converting it.

    Rows that are not flat sequences of numbers (an RNN's sequences of vectors) are kept as they are.
    """
    rows = []
    for row in X:
        try:
            rows.append(tuple(map(float, row)))
        except TypeError:
            rows.append(row)
    return rows


def _layer_groups(model, named):
    """``{layer name: its parameters}``: one group per direct sub-module (``layers.0``, ...), or the model."""
    groups = {}
    for child_name, _ in model.named_children():
        prefix = child_name + "."
        group = [value for name, value in named if name.startswith(prefix)]
        if group:
            groups[child_name] = group
    grouped = {id(value) for group in groups.values() for value in group}
    rest = [value for _, value in named if id(value) not in grouped]
    if rest:
        groups[type(model).__name__ if not groups else "(other)"] = rest
    return groups


def _progress_bar(progress, total):
    """A tqdm bar (a widget in notebooks, text in a terminal), or None when it should stay silent."""
    if progress is False:
        return None
    if progress is None and not (_in_notebook() or _is_terminal(sys.stdout)):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, file=sys.stdout, unit="step", dynamic_ncols=True)


def _in_notebook():
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _summary(loss, accuracy):
    return f"loss {loss:.4f}" + ("" if accuracy is None else f", accuracy {accuracy:.1%}")


def _epoch_summary(history):
    text = _summary(history.train_loss[-1], history.train_accuracy[-1] if history.train_accuracy else None)
    if history.val_loss:
        val_accuracy = history.val_accuracy[-1] if history.val_accuracy else None
        text += "; validation " + _summary(history.val_loss[-1], val_accuracy)
    return text
