"""Switches that change how operations record the graph: ``no_grad`` and ``detect_anomaly``.

The switches are module-level flags read by every operation, so turning one on costs a context manager
and leaves the hot path with a single attribute read. They are global to the process (not per thread),
like the rest of a teaching engine.
"""

import contextlib

grad_enabled = True  # read by every operation: record parents and local derivatives?
anomaly_enabled = False  # read by every operation and by backward: check for inf/nan?


class _Switch(contextlib.ContextDecorator):
    """A context manager (and decorator) that sets one flag of this module and restores it on exit."""

    flag = ""
    value = None

    def __init__(self):
        # A stack, not one slot: the same decorated function may call itself.
        self._previous = []

    def __enter__(self):
        self._previous.append(globals()[self.flag])
        globals()[self.flag] = self.value
        return self

    def __exit__(self, *exc_info):
        globals()[self.flag] = self._previous.pop()
        return False


class no_grad(_Switch):
    """Run operations without recording the graph: results have no parents, so backward stops there.

    Use it to evaluate a trained model: it is faster and keeps no graph alive.

    >>> from engine import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents
    ()
    """

    flag, value = "grad_enabled", False


class enable_grad(_Switch):
    """Record the graph again inside a ``no_grad`` block."""

    flag, value = "grad_enabled", True


class detect_anomaly(_Switch):
    """Raise ``FloatingPointError`` at the first operation whose value or gradient is not finite.

    The error names the operation and the values and labels of its inputs, so the first ``nan`` is
    found where it is born instead of where it is noticed.

    >>> from engine import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(-1.0, label="x").log()
    Traceback (most recent call last):
    FloatingPointError: operation 'log' produced nan from inputs x=-1.0
    """

    flag, value = "anomaly_enabled", True


def is_grad_enabled():
    """True unless inside ``no_grad``."""
    return grad_enabled
