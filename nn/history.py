"""What ``fit`` records, epoch by epoch, and a picture of it."""


class History:
    """Per-epoch numbers from ``fit``, one entry per epoch in each list.

    Attributes:
        train_loss, train_accuracy: on the training batches as they were trained (accuracy empty when
            the loss has no notion of right and wrong, e.g. ``mse_loss``).
        val_loss, val_accuracy: on ``validation=(X, y)`` after each epoch (empty without it).
        lr: the learning rate used in each epoch.
        grad_norms: ``{layer name: [norm per epoch]}``, each the mean over the epoch's batches of the
            L2 norm of that layer's gradients. Layers whose norms fall far below the others' are
            not learning (vanishing gradients); norms that shoot up are exploding.
        update_ratio: ``{layer name: [ratio per epoch]}``, each the mean over the epoch's steps of
            ||step|| / ||weights|| for that layer: near 1e-3 is healthy (in powers of ten: 1e-2 is
            common early on), 1e-5 and below barely learns, 1e-1 and above is thrown around.
        dead_relu: the fraction of ReLU neurons that output 0 on every training example of the epoch
            (dead: they pass no gradient, so nothing revives them); empty for models without ReLU layers.
        dead_relu_by_layer: ``{layer name: [fraction per epoch]}``, the same for each ReLU layer.
        stopped_early: True when ``fit`` stopped because the loss stopped improving.
        stop_training: a callback sets it to True (in ``on_epoch_end``) to make ``fit`` stop after that epoch.
        seconds: the wall time of the whole ``fit``.
    """

    def __init__(self):
        self.train_loss, self.train_accuracy = [], []
        self.val_loss, self.val_accuracy = [], []
        self.lr = []
        self.grad_norms = {}
        self.update_ratio = {}
        self.dead_relu = []
        self.dead_relu_by_layer = {}
        self.stopped_early = False
        self.stop_training = False
        self.seconds = 0.0

    @property
    def epochs(self):
        """How many epochs ran."""
        return len(self.train_loss)

    def __repr__(self):
        if not self.epochs:
            return "History(no epochs)"
        parts = [f"train loss {self.train_loss[-1]:.4g}"]
        if self.train_accuracy:
            parts.append(f"accuracy {self.train_accuracy[-1]:.2%}")
        if self.val_loss:
            parts.append(f"validation loss {self.val_loss[-1]:.4g}")
        if self.val_accuracy:
            parts.append(f"accuracy {self.val_accuracy[-1]:.2%}")
        stopped = ", stopped early" if self.stopped_early else ""
        return f"History({self.epochs} epochs in {self.seconds:.1f} s{stopped}: {', '.join(parts)})"

    def plot(self):
        """Draw loss, accuracy, learning rate, per-layer gradient norms and update ratios, and dead ReLUs; returns the figure.

        Needs matplotlib (``pip install "chainrule[demos]"``). Gradient norms and update ratios use a log
        scale, so layers whose gradients vanish show as lines falling away from the others; a dashed
        line marks the update ratio of 1e-3 that is usually healthy.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError('History.plot() needs matplotlib: pip install "chainrule[demos]"') from None
        epochs = range(1, self.epochs + 1)
        figure, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
        (loss_ax, accuracy_ax, lr_ax), (norm_ax, ratio_ax, dead_ax) = axes

        loss_ax.plot(epochs, self.train_loss, label="training")
        if self.val_loss:
            loss_ax.plot(epochs, self.val_loss, label="validation")
        _finish(loss_ax, "loss")

        if self.train_accuracy:
            accuracy_ax.plot(epochs, self.train_accuracy, label="training")
        if self.val_accuracy:
            accuracy_ax.plot(epochs, self.val_accuracy, label="validation")
        _finish(accuracy_ax, "accuracy", empty="no accuracy for this loss")

        lr_ax.plot(epochs, self.lr)
        _finish(lr_ax, "learning rate")

        for name, norms in self.grad_norms.items():
            norm_ax.plot(epochs, norms, label=name)
        if self.grad_norms:
            norm_ax.set_yscale("log")
        _finish(norm_ax, "gradient norm per layer (log scale)")

        for name, ratios in self.update_ratio.items():
            ratio_ax.plot(epochs, ratios, label=name)
        if self.update_ratio:
            ratio_ax.axhline(1e-3, color="gray", linestyle="--", linewidth=1)  # the rule of thumb's healthy ratio
            ratio_ax.set_yscale("log")
        _finish(ratio_ax, "||step|| / ||weights|| per layer (log scale)")

        for name, fractions in self.dead_relu_by_layer.items():
            dead_ax.plot(epochs, fractions, label=name)
        if self.dead_relu_by_layer:
            dead_ax.set_ylim(-0.02, 1.02)
        _finish(dead_ax, "fraction of dead ReLUs per layer", empty="no ReLU layers")
        return figure


def _finish(ax, title, empty="nothing recorded"):
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    if not ax.get_lines():
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes, color="gray")
