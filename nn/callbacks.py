"""What ``fit`` watches while it trains: small observers it calls at fixed points of its loop.

The loop itself only trains. Whatever it records beyond the loss and accuracy (each layer's gradient
norm, the ReLUs that never fire) is an observer's job: ``fit`` calls every observer's methods at
the points below, and each writes what it saw into the ``History``. Pass your own with
``fit(..., callbacks=[...])``.
"""

import math

from engine import no_grad
from nn.layers import Layer


class Callback:
    """An observer of ``fit``. Each method is called at one point of the loop and does nothing here.

        on_fit_start(model)            before the first epoch, in training mode
        on_after_backward()            after each batch's backward pass, before clipping and the step
        on_after_step()                after each optimizer step
        on_epoch_end(epoch, history)   after each epoch's steps and validation, their numbers recorded
        on_fit_end()                   once at the end, also when fit stops early or fails

    To stop training, set ``history.stop_training = True`` in ``on_epoch_end``: ``fit`` stops after that epoch.

    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, history):
    ...         print(f"epoch {epoch}: loss {history.train_loss[-1]:.2f}")
    """

    def on_fit_start(self, model):
        pass

    def on_after_backward(self):
        pass

    def on_after_step(self):
        pass

    def on_epoch_end(self, epoch, history):
        pass

    def on_fit_end(self):
        pass


class LayerMeans(Callback):
    """Per layer, the mean over each epoch's steps of one number a step, appended to ``history.<field>``.

    The bookkeeping ``GradientNorms`` and ``UpdateRatios`` share: a subclass adds each step's number
    for each layer to ``sums`` and counts the step.
    """

    field = None  # the History attribute to fill: {layer name: [mean per epoch]}

    def on_fit_start(self, model):
        self.groups = layer_groups(model)
        self._start_epoch()

    def _start_epoch(self):
        self.sums, self.steps = dict.fromkeys(self.groups, 0.0), 0

    def on_epoch_end(self, epoch, history):
        means = getattr(history, self.field)
        for name, total in self.sums.items():
            means.setdefault(name, []).append(total / self.steps)
        self._start_epoch()


class GradientNorms(LayerMeans):
    """Records ``history.grad_norms``: per layer, the L2 norm of its gradients, averaged over an epoch's steps.

    The "layers" are the model's direct sub-modules (``layers.0``, ``layers.1``, ... of an MLP);
    parameters held by the model itself form one more group. The norms are taken before clipping,
    so they show what backward produced.
    """

    field = "grad_norms"

    def on_after_backward(self):
        for name, group in self.groups.items():
            self.sums[name] += math.sqrt(math.fsum(p.grad * p.grad for p in group))
        self.steps += 1


class UpdateRatios(LayerMeans):
    """Records ``history.update_ratio``: per layer, ||step|| / ||weights||, averaged over an epoch's steps.

    How far one step moves a layer, relative to where it is. A rule of thumb (Karpathy's) puts a healthy
    ratio near 1e-3, read in powers of ten (a small network early in training sits nearer 1e-2): far
    below it, 1e-5 say, a layer barely learns (the learning rate is too low for it, or its gradients
    vanish); near 1e-1 and above, each step throws the weights around (the learning rate is too high).
    """

    field = "update_ratio"

    def on_after_backward(self):
        self.before = {name: [p.data for p in group] for name, group in self.groups.items()}

    def on_after_step(self):
        for name, group in self.groups.items():
            before = self.before[name]
            # dist and hypot scale before squaring, so huge weights (a run diverging) do not overflow.
            step, size = math.dist([p.data for p in group], before), math.hypot(*before)
            self.sums[name] += step / size if size else (0.0 if step == 0.0 else math.inf)
        self.steps += 1


class KeepBest(Callback):
    """Keeps a copy of the weights from the epoch with the lowest validation loss: early stopping's memory.

    After ``fit(..., validation=(X_val, y_val), callbacks=[best])``, ``model.load_state_dict(best.state)``
    puts those weights back; ``best.epoch`` (counted from 1) and ``best.val_loss`` say which they were.
    The epoch is chosen on validation, so the test set stays untouched for one last measurement.

    >>> from nn import MLP, datasets, fit, cross_entropy
    >>> X, y = datasets.moons(40, seed=0)
    >>> model, best = MLP(2, [8, 2], seed=0), KeepBest()
    >>> history = fit(model, X, y, cross_entropy, epochs=5, validation=datasets.moons(20, seed=1), callbacks=[best], progress=False)
    >>> best.val_loss == min(history.val_loss)
    True
    """

    def on_fit_start(self, model):
        self.model, self.epoch, self.val_loss, self.state = model, None, math.inf, None

    def on_epoch_end(self, epoch, history):
        if not history.val_loss:
            raise ValueError("KeepBest chooses on the validation loss: pass fit(..., validation=(X_val, y_val))")
        if history.val_loss[-1] < self.val_loss:
            self.epoch, self.val_loss, self.state = epoch + 1, history.val_loss[-1], self.model.state_dict()


def layer_groups(model):
    """``{layer name: its parameters}``: one group per direct sub-module (``layers.0``, ...), or the model."""
    named = model.named_parameters()
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


class DeadReLUs(Callback):
    """Records ``history.dead_relu``: the fraction of ReLU neurons that output 0 on every training example of an epoch.

    A dead ReLU passes no gradient back (relu'(x) = 0 for x <= 0), so nothing ever revives it. The
    neurons counted are those of the model's ReLU ``Layer``s, wherever they sit; each layer's own
    fraction goes to ``history.dead_relu_by_layer``.

    Counting watches the layers' outputs as the examples go through, with a forward hook on each
    ReLU layer: the loop's own forward passes are all it needs, where running the training set
    through the model again at each epoch's end would add about a third to every epoch.
    With ``training_only`` (fit's case), calls in eval mode, the validation after each epoch, do not count.
    """

    def __init__(self, training_only=True):
        self.training_only = training_only
        self.fired, self.names, self.handles = {}, {}, []

    def on_fit_start(self, model):
        for name, module in model.named_modules():
            if isinstance(module, Layer) and module.activation == "relu":
                self.fired[module] = [False] * module.nout
                self.names[module] = name or type(module).__name__
                self.handles.append(module.register_forward_hook(self._mark))

    def _mark(self, layer, x, outputs):
        if layer.training or not self.training_only:
            self.fired[layer] = [fired or value.data > 0.0 for fired, value in zip(self.fired[layer], outputs)]

    def dead_fraction(self):
        """The fraction of watched neurons that have not fired since the last epoch; None without any."""
        flags = [flag for layer_flags in self.fired.values() for flag in layer_flags]
        return flags.count(False) / len(flags) if flags else None

    def on_epoch_end(self, epoch, history):
        if self.fired:
            history.dead_relu.append(self.dead_fraction())
            for layer, flags in self.fired.items():
                history.dead_relu_by_layer.setdefault(self.names[layer], []).append(flags.count(False) / len(flags))
            self.fired = {layer: [False] * len(flags) for layer, flags in self.fired.items()}

    def on_fit_end(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []


def dead_relu_fraction(model, X):
    """The fraction of the model's ReLU neurons (in its ``Layer``s) that output 0 for every row of X.

    The model runs in eval mode (no dropout) under ``no_grad``. Returns None for a model without ReLU layers.

    >>> from nn import MLP
    >>> dead_relu_fraction(MLP(2, [4, 1], seed=0), [(0.5, -0.5), (1.0, 1.0)]) <= 1.0
    True
    """
    counter = DeadReLUs(training_only=False)
    counter.on_fit_start(model)
    try:
        _run_rows(model, X)
    finally:
        counter.on_fit_end()
    return counter.dead_fraction()


def activations(model, X):
    """``{layer name: every output of that Layer, for every row of X}``, to draw as histograms.

    Healthy activations spread over a range; a ReLU layer whose outputs are almost all 0 is dying, a
    tanh or sigmoid layer whose outputs pile up at the ends is saturated (its derivative near 0). The
    model runs in eval mode under ``no_grad``; the layers are the model's ``Layer``s, wherever they sit.

    >>> from nn import MLP
    >>> outputs = activations(MLP(2, [4, 1], seed=0), [(0.5, -0.5), (1.0, 1.0)])
    >>> {name: len(values) for name, values in outputs.items()}
    {'layers.0': 8, 'layers.1': 2}
    """
    seen, handles = {}, []
    for name, module in model.named_modules():
        if isinstance(module, Layer):
            seen[name or type(module).__name__] = values = []
            handles.append(module.register_forward_hook(lambda layer, x, outputs, values=values:
                                                        values.extend(value.data for value in outputs)))
    try:
        _run_rows(model, X)
    finally:
        for handle in handles:
            handle.remove()
    return seen


def _run_rows(model, X):
    """Every row of X through the model (for its hooks to watch), in eval mode under no_grad; its mode is kept."""
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            for x in X:
                model(x)
    finally:
        model.train(was_training)
