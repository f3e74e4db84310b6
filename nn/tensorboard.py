"""Watching training in TensorBoard: ``fit(..., log_dir="runs/x")`` writes what it records as event files.

Then ``tensorboard --logdir runs`` shows each run's curves (loss, accuracy, learning rate, per-layer
gradient norms, update ratios and dead ReLUs) and each layer's weights and gradients as histograms,
epoch by epoch. The files are written by tensorboardX, an optional extra:
``pip install "chainrule[tensorboard]"`` (which brings TensorBoard itself to view them).
"""

import os

from nn.callbacks import Callback, layer_groups

INSTALL = 'pip install "chainrule[tensorboard]"'


def summary_writer_class():
    """tensorboardX's SummaryWriter, or an ImportError saying how to install it."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(f"writing TensorBoard logs needs tensorboardX: {INSTALL}") from None
    return SummaryWriter


class TensorBoard(Callback):
    """Writes each epoch's numbers from the ``History``, and each layer's weights and gradients as histograms.

    The step of every point is the epoch, counted from 1 as ``History.plot`` counts it. Tags group as
    TensorBoard shows them: ``loss/train``, ``loss/validation``, ``accuracy/...``, ``learning_rate``,
    ``grad_norm/<layer>``, ``update_ratio/<layer>``, ``dead_relu/<layer>``, ``weights/<layer>`` and
    ``gradients/<layer>`` (the gradients of the epoch's last step).

    >>> import tempfile
    >>> from nn import MLP, datasets, fit, cross_entropy
    >>> X, y = datasets.moons(40)
    >>> with tempfile.TemporaryDirectory() as runs:
    ...     history = fit(MLP(2, [8, 2], seed=0), X, y, cross_entropy, epochs=2, log_dir=runs, progress=False)
    ...     any(name.startswith("events.out.tfevents") for name in os.listdir(runs))
    True
    """

    def __init__(self, log_dir):
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a folder's path (a str or a pathlib.Path), got {type(log_dir).__name__}: {log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        if os.path.exists(self.log_dir) and not os.path.isdir(self.log_dir):
            raise ValueError(f"log_dir {self.log_dir!r} is a file; name a folder (TensorBoard reads every run in it)")
        self.SummaryWriter = summary_writer_class()  # fail at once, before training, if it is missing
        self.writer = None

    def on_fit_start(self, model):
        self.groups = layer_groups(model)
        self.writer = self.SummaryWriter(self.log_dir)

    def on_epoch_end(self, epoch, history):
        step, add = epoch + 1, self.writer.add_scalar
        for tag, numbers in (("loss/train", history.train_loss), ("loss/validation", history.val_loss),
                             ("accuracy/train", history.train_accuracy), ("accuracy/validation", history.val_accuracy),
                             ("learning_rate", history.lr)):
            if numbers:
                add(tag, numbers[-1], step)
        for kind, by_layer in (("grad_norm", history.grad_norms), ("update_ratio", history.update_ratio),
                               ("dead_relu", history.dead_relu_by_layer)):
            for layer, numbers in by_layer.items():
                add(f"{kind}/{layer}", numbers[-1], step)
        for layer, parameters in self.groups.items():
            self.writer.add_histogram(f"weights/{layer}", [p.data for p in parameters], step)
            self.writer.add_histogram(f"gradients/{layer}", [p.grad for p in parameters], step)
        self.writer.flush()

    def on_fit_end(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

