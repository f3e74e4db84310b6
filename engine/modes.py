"""Switches that change how operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``
and ``detect_anomaly``.

Each switch holds for the thread that entered it, as in PyTorch: a ``no_grad`` in one thread does not
stop another thread from recording. The hot path stays one global read: ``switched`` counts the
switch blocks open in any thread, and while it is 0 (almost always) every thread is at the defaults,
so an operation reads nothing else. Only while some block is open does it look up its own thread's
switches (``recording()``, ``checking()``).
"""

import contextlib
import threading

DEFAULTS = {"grad_enabled": True, "anomaly_enabled": False}  # record the graph; do not check for inf/nan
switched = 0  # switch blocks open in all threads: while 0, every thread is at DEFAULTS
_count_lock = threading.Lock()
_threads = threading.local()  # this thread's switches, set only while one of its blocks is open


def recording():
    """True unless this thread is inside ``no_grad`` (or ``set_grad_enabled(False)``)."""
    return getattr(_threads, "grad_enabled", True)


def checking():
    """True if this thread is inside ``detect_anomaly``."""
    return getattr(_threads, "anomaly_enabled", False)


class _Switch(contextlib.ContextDecorator):
    """A context manager (and decorator) that sets one switch of this thread and restores it on exit."""

    flag = ""
    value = None

    def __init__(self):
        self._previous = threading.local()  # per thread: the same decorated function may run in several

    def __enter__(self):
        global switched
        stack = self._previous.__dict__.setdefault("stack", [])  # a stack: the function may call itself
        stack.append(getattr(_threads, self.flag, DEFAULTS[self.flag]))
        setattr(_threads, self.flag, self.value)
        with _count_lock:
            switched += 1
        return self

    def __exit__(self, *exc_info):
        global switched
        setattr(_threads, self.flag, self._previous.stack.pop())
        with _count_lock:
            switched -= 1
        return False


class no_grad(_Switch):
    """Run operations without recording the graph: results have no parents, so backward stops there.

    Use it to evaluate a trained model: it is faster and keeps no graph alive. It holds for the
    thread that entered it only.

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


class set_grad_enabled(_Switch):
    """``no_grad`` for ``False``, ``enable_grad`` for ``True``: for code that decides at run time.

    >>> from engine import Value, set_grad_enabled
    >>> training = False
    >>> with set_grad_enabled(training):
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """

    flag = "grad_enabled"

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) needs True or False, got {type(mode).__name__}: {mode!r}")
        super().__init__()
        self.value = mode


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
    """True unless this thread is inside ``no_grad``."""
    return not switched or recording()
