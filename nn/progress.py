"""The progress bar ``fit`` shows: a tqdm widget in a notebook, text in a terminal, nothing in a log file."""

import sys


def progress_bar(progress, total):
    """A tqdm bar (a widget in notebooks, text in a terminal); when it should stay silent, a disabled one that does nothing."""
    from tqdm.auto import tqdm

    shown = (_in_notebook() or _is_terminal(sys.stdout)) if progress is None else bool(progress)
    return tqdm(total=total, file=sys.stdout, unit="step", dynamic_ncols=True, disable=not shown)


def _in_notebook():
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def summary(loss, accuracy):
    return f"loss {loss:.4f}" + ("" if accuracy is None else f", accuracy {accuracy:.1%}")


def epoch_summary(history):
    text = summary(history.train_loss[-1], history.train_accuracy[-1] if history.train_accuracy else None)
    if history.val_loss:
        val_accuracy = history.val_accuracy[-1] if history.val_accuracy else None
        text += "; validation " + summary(history.val_loss[-1], val_accuracy)
    return text
