"""The training loop: forward, loss, backward, (clip), step, for every batch of every epoch.

``fit`` runs the loop, evaluates under ``no_grad`` after each epoch, stops early once the loss has
converged and returns a ``History``; observers (``nn.callbacks``) record what else they see on the
way. It judges the model with ``nn.metrics`` (``evaluate``, ``accuracy``) and shows ``nn.progress``'s bar.
"""

import math
import numbers
import time

from nn.callbacks import DeadReLUs, GradientNorms, UpdateRatios
from nn.checks import integer, non_negative, paired, positive, rows, whole_number
from nn.datasets import batches
from nn.history import History
from nn.losses import l1_penalty, l2_penalty
# accuracy is not used here: it is re-exported so that ``from nn.train import accuracy`` works as before the split.
from nn.metrics import accuracy, evaluate, is_right_rule  # noqa: F401
from nn.optim import Adam, clip_grad_norm
from nn.progress import epoch_summary, progress_bar, summary
from nn.tensorboard import TensorBoard

__all__ = ["fit", "TrainingDiverged", "evaluate", "accuracy"]


class TrainingDiverged(FloatingPointError):
    """``fit`` stopped because the loss or the weights stopped being finite numbers (nan or inf).

    Once one weight is nan every output and every gradient after it is nan too: training cannot
    recover, so ``fit`` stops at once instead of finishing the epochs on nonsense. ``epoch``
    (counted from 1) is where it happened; ``history`` holds the epochs completed before it.
    """

    def __init__(self, message, epoch, history):
        super().__init__(message)
        self.epoch, self.history = epoch, history


# -------------------------------------------------------------------- the loop


def fit(
    model, X, y, loss, optimizer=None, *,
    epochs=20, batch_size=32, shuffle=True, seed=0,                       # the batches
    schedule=None, l1=0.0, l2=0.0, penalize_biases=True, clip_norm=None,  # each step
    validation=None, is_right=None, patience=5, tol=1e-4,                 # each epoch's judgement, and when to stop
    progress=None, callbacks=(), log_dir=None,                            # who watches
):
    """Train ``model`` on ``(X, y)``: for each batch, forward, loss, backward, (clip), step.

    What to train (the only positional arguments):
        model: a Module; called on one row of X at a time.
        X, y: the training rows (sequences of numbers, turned into tuples of floats once) and targets.
        loss: a loss function ``loss(outputs, targets) -> Value``, e.g. ``nn.cross_entropy``.
        optimizer: defaults to ``Adam(model.parameters(), lr=0.01)``.

    The batches:
        epochs: the most passes over the data.
        batch_size: examples per step; None for the whole set (full-batch gradient descent).
        shuffle, seed: shuffle the batches anew each epoch, reproducibly (epoch k uses the int seed + k).

    Each step:
        schedule: a function epoch -> learning rate (``linear_decay``, ...), applied at each epoch's start.
        l1, l2: add ``l1_penalty(parameters, l1)`` and ``l2_penalty(parameters, l2)`` to each batch's loss.
        penalize_biases: True (the default, as PyTorch's ``weight_decay``) penalises every parameter;
            False penalises ``model.weights()`` alone, leaving the biases free.
        clip_norm: clip the gradients' joint norm to this before each step.

    Each epoch's judgement, and when to stop:
        validation: ``(X_val, y_val)``, evaluated under ``no_grad`` after every epoch.
        is_right: ``(output, target) -> bool`` for accuracy with a loss ``accuracy`` does not know.
        patience, tol: stop once the training loss has not improved by a relative ``tol`` for
            ``patience`` epochs in a row (``patience=None`` never stops early).

    Who watches:
        progress: show a progress bar: None shows one in a notebook or a terminal (not when output
            goes to a file or pipe), True always, False never.
        callbacks: more observers (``nn.callbacks.Callback``), called after the three that always
            watch: ``GradientNorms``, ``UpdateRatios`` and ``DeadReLUs``, which fill ``grad_norms``,
            ``update_ratio``, ``dead_relu`` and ``dead_relu_by_layer``.
        log_dir: a folder to write TensorBoard event files to (``nn.tensorboard.TensorBoard``), so that
            ``tensorboard --logdir`` shows the run; needs ``pip install "chainrule[tensorboard]"``.

    Returns:
        A ``History``. The recorded training loss is the data loss, without the l1 / l2 penalty, so
        that it compares with the validation loss.

    Raises:
        TypeError, ValueError: for a setting or a row that cannot be right, before the first step; for
            a learning rate from ``schedule`` that is not a finite number >= 0, at that epoch.
        TrainingDiverged: when the loss or a weight stops being finite (nan or inf); its message
            names the epoch and the likely cause.

    >>> from nn import MLP, SGD, datasets, hinge_loss, linear_decay
    >>> X, y = datasets.moons(100, noise=0.1, seed=0)
    >>> model = MLP(2, [16, 16, 1], init="uniform", seed=1)
    >>> history = fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=1.0),
    ...               epochs=3, batch_size=None, l2=1e-4, schedule=linear_decay(1.0, 0.1, 100))
    >>> history.epochs, history.lr
    (3, [1.0, 0.991, 0.982])
    """
    start = time.perf_counter()
    X, y = rows(X), list(y)
    _check_settings(X, y, loss, epochs, batch_size, patience, tol)
    _check_step_settings(optimizer, seed, schedule, l1, l2, penalize_biases, clip_norm)
    _check_validation(validation)
    watchers = [GradientNorms(), UpdateRatios(), DeadReLUs()]
    if log_dir is not None:
        watchers.append(TensorBoard(log_dir))  # checks the folder and the writer library before any step
    parameters = model.parameters()  # also labels every parameter with its name
    penalized = parameters if penalize_biases else model.weights()
    optimizer = optimizer if optimizer is not None else Adam(parameters, lr=0.01)
    rule = is_right_rule(loss, is_right)
    observers = [*watchers, *callbacks]
    steps_per_epoch = 1 if batch_size is None else math.ceil(len(X) / batch_size)
    bar = progress_bar(progress, epochs * steps_per_epoch)
    history = History()
    best, waited = None, 0
    was_training = model.training
    try:
        model.train()
        for observer in observers:
            observer.on_fit_start(model)
        for epoch in range(epochs):
            if schedule is not None:
                optimizer.lr = _scheduled_rate(schedule, epoch)
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            total_loss, right, seen = 0.0, 0, 0
            for xb, yb in batches(X, y, batch_size, shuffle, seed + epoch):
                outputs = [model(x) for x in xb]
                data_loss = loss(outputs, yb)
                objective = data_loss
                if l1:
                    objective = objective + l1_penalty(penalized, l1)
                if l2:
                    objective = objective + l2_penalty(penalized, l2)
                # One comparison a step: a nan loss gives nan gradients, and a nan step ruins every weight.
                if not math.isfinite(objective.data):
                    first = epoch == 0 and seen == 0
                    raise _diverged(epoch, epochs, history, optimizer,
                                    f"the loss {'is' if first else 'became'} {objective.data}", before_any_step=first)
                optimizer.zero_grad()
                objective.backward()
                for observer in observers:
                    observer.on_after_backward()
                if clip_norm is not None:
                    clip_grad_norm(parameters, clip_norm)
                optimizer.step()
                for observer in observers:
                    observer.on_after_step()

                seen += len(xb)
                total_loss += data_loss.data * len(xb)
                if rule is not None:
                    right += sum(map(rule, outputs, yb))
                bar.update(1)
                bar.set_postfix_str(summary(total_loss / seen, right / seen if rule else None), refresh=False)

            # The epoch's last step has no loss after it to show it went wrong: look at the weights once.
            if not all(math.isfinite(p.data) for p in parameters):
                broken = next(p for p in parameters if not math.isfinite(p.data))
                raise _diverged(epoch, epochs, history, optimizer, f"a weight became {broken.data} ({broken.label})")
            history.lr.append(optimizer.lr)
            history.train_loss.append(total_loss / seen)
            if rule is not None:
                history.train_accuracy.append(right / seen)
            if validation is not None:
                val_loss, val_accuracy = evaluate(model, *validation, loss, is_right)
                history.val_loss.append(val_loss)
                if val_accuracy is not None:
                    history.val_accuracy.append(val_accuracy)
            for observer in observers:
                observer.on_epoch_end(epoch, history)
            bar.set_postfix_str(epoch_summary(history))
            if history.stop_training:  # a callback asked to stop
                break

            # Converged? Compare with the best loss so far, relative to its size.
            if best is None or history.train_loss[-1] < best - tol * abs(best):
                best, waited = history.train_loss[-1], 0
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    history.stopped_early = True
                    break
    finally:
        for observer in observers:
            observer.on_fit_end()
        model.train(was_training)
        bar.close()
    history.seconds = time.perf_counter() - start
    return history


def _check_settings(X, y, loss, epochs, batch_size, patience, tol):
    paired(X, y, "rows", "targets")
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(outputs, targets), got {type(loss).__name__}")
    whole_number(epochs, "epochs")
    if batch_size is not None:
        whole_number(batch_size, "batch_size (or None for full batches)")
    if patience is not None:
        whole_number(patience, "patience (or None)")
    non_negative(tol, "tol")


def _check_step_settings(optimizer, seed, schedule, l1, l2, penalize_biases, clip_norm):
    if optimizer is not None and not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"optimizer must be an optimizer (with step() and zero_grad()), got "
                        f"{type(optimizer).__name__}: {optimizer!r}; to set the learning rate, pass "
                        f"SGD(model.parameters(), lr=...) or Adam(...)")
    integer(seed, "seed")
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a function epoch -> learning rate (e.g. cosine_decay(0.1, epochs)), "
                        f"got {type(schedule).__name__}: {schedule!r}")
    non_negative(l1, "l1")
    non_negative(l2, "l2")
    if not isinstance(penalize_biases, bool):
        raise TypeError(f"penalize_biases must be True or False, got {type(penalize_biases).__name__}: {penalize_biases!r}")
    if clip_norm is not None:
        positive(clip_norm, "clip_norm")


def _check_validation(validation):
    if validation is None:
        return
    try:
        X_val, y_val = validation
    except (TypeError, ValueError):
        raise ValueError(f"validation must be a pair (X_val, y_val), got {type(validation).__name__}") from None
    paired(X_val, list(y_val), "validation rows", "validation targets")


def _scheduled_rate(schedule, epoch):
    """What ``schedule`` says for ``epoch``, if it can be a learning rate (0 is: a schedule may end there)."""
    name = getattr(schedule, "__name__", repr(schedule))
    return non_negative(schedule(epoch), f"the learning rate that schedule {name!r} returned for epoch {epoch}")


def _diverged(epoch, epochs, history, optimizer, what, before_any_step=False):
    """The TrainingDiverged to raise: where it happened, ``what`` went non-finite, and the likely cause."""
    where = f"in epoch {epoch + 1} of {epochs}"
    if before_any_step:  # nothing has been learnt yet: the input is to blame, not the learning rate
        return TrainingDiverged(f"training stopped {where} before any step: {what}; look for nan or inf in the data "
                                f"(X, y) or the model's starting weights", epoch + 1, history)
    lr = getattr(optimizer, "lr", None)
    rate = f" ({lr:g})" if isinstance(lr, numbers.Real) else ""
    return TrainingDiverged(f"training diverged {where}: {what}; the learning rate{rate} is probably too high: "
                            f"try a smaller lr or clip_norm", epoch + 1, history)
