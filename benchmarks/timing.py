"""Timing several engines in one run, interleaved, each in a Python process of its own.

Interleaving: one repetition gives every engine a turn, in a rotated order, so that the machine's
drift (other processes, frequency changes) hits all engines alike. Each turn does ``n`` units of
work (n training steps, n samples), with ``n`` chosen so that a turn lasts about as long for every
engine; the summary is the median per unit, with the quartiles as the spread.

One process per engine: the cyclic garbage collector's full collections walk every object in the
process, so the engines would otherwise slow each other down. With PyTorch imported (~150,000
objects) chainrule's W1 step takes twice as long as without, and micrograd's cyclic garbage would be
collected during whichever engine ran next. A worker imports only what its engine's users import,
and its collector (left at Python's defaults) bills each engine for its own garbage.
"""

import multiprocessing
import statistics
import time
import traceback
from dataclasses import dataclass, field


@dataclass
class Timing:
    """Seconds per unit of work for one engine: one number per repetition."""

    engine: str
    unit: str
    units_per_repetition: int
    seconds: list = field(default_factory=list)

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def quartiles(self):
        """(first quartile, third quartile); with one repetition both are that repetition."""
        if len(self.seconds) < 2:
            return self.seconds[0], self.seconds[0]
        q1, _, q3 = statistics.quantiles(self.seconds, n=4, method="inclusive")
        return q1, q3

    def as_dict(self):
        q1, q3 = self.quartiles
        return {
            "engine": self.engine,
            "unit": self.unit,
            "units_per_repetition": self.units_per_repetition,
            "median_s": self.median,
            "q1_s": q1,
            "q3_s": q3,
            "min_s": min(self.seconds),
            "max_s": max(self.seconds),
            "seconds": list(self.seconds),
        }


# -------------------------------------------------------------------- workers


class WorkerFailed(RuntimeError):
    """The code a worker ran raised; the message carries the worker's traceback."""


class Worker:
    """A fresh Python process that holds one piece of work and runs it on request.

    ``load(factory, *args)`` makes the worker call ``factory(*args)``, which returns ``work(n)``;
    ``time(n)`` runs ``work(n)`` there and returns the seconds it took, measured inside the worker
    (so passing the message costs nothing). ``call(function, *args)`` runs a function once and
    returns its result. Factories and functions must be importable module-level functions.
    """

    def __init__(self, name):
        self.name = name
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited from this one
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name=f"benchmark-{name}", daemon=True)
        self._process.start()
        child.close()
        self._stopping = False

    def load(self, factory, *args):
        self._send("load", factory, args)
        self._receive("load")

    def time(self, n):
        return self._ask("time", n, ())

    def call(self, function, *args):
        return self._ask("call", function, args)

    def stop(self):
        """Ask the worker to finish; ``close()`` waits for it."""
        if not self._stopping and self._process.is_alive():
            self._send("stop", None, ())
        self._stopping = True

    def close(self):
        self.stop()
        self._process.join(timeout=10)
        self._connection.close()

    def _ask(self, command, what, args):
        self._send(command, what, args)
        return self._receive(command)

    def _send(self, command, what, args):
        self._connection.send((command, what, args))

    def _receive(self, command):
        ok, answer = self._connection.recv()
        if not ok:
            raise WorkerFailed(f"the {self.name} worker failed in {command}:\n{answer}")
        return answer


def _serve(connection):
    """The worker's loop: answer each request with (True, result) or (False, the traceback)."""
    work = None
    while True:
        command, what, args = connection.recv()
        if command == "stop":
            return
        try:
            if command == "load":
                work, answer = what(*args), None
            elif command == "time":
                start = time.perf_counter()
                work(what)
                answer = time.perf_counter() - start
            else:
                answer = what(*args)
        except BaseException:
            connection.send((False, traceback.format_exc()))
        else:
            connection.send((True, answer))


class Workers(dict):
    """{engine name: Worker}, all closed on leaving a ``with`` block."""

    def __init__(self, names):
        super().__init__((name, Worker(name)) for name in names)

    def load(self, factory, *args, names=None):
        """The workers called ``names`` (default: all) load ``factory(its name, *args)``, all at once (PyTorch
        takes seconds to import)."""
        names = list(self) if names is None else names
        for name in names:
            self[name]._send("load", factory, (name, *args))
        for name in names:
            self[name]._receive("load")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for worker in self.values():
            worker.stop()  # all at once: each takes a moment to tear down
        for worker in self.values():
            worker.close()


# -------------------------------------------------------------------- interleaving


def units_for(time_work, seconds):
    """How many units make one turn last about ``seconds``, from one unit timed after one to warm up.

    A turn of several units keeps the timer's resolution and one-off hiccups small next to what is measured.
    """
    time_work(1)  # the first unit pays for imports, caches and memory the others reuse
    once = time_work(1)
    return max(1, round(seconds / once)) if once > 0 else 1


def interleave(timers, unit, repetitions, seconds_per_repetition, progress=None, units=None):
    """Time every engine ``repetitions`` times, one engine after another within each repetition.

    Args:
        timers: {engine name: time_work(n)}, where ``time_work(n)`` does n units and returns the seconds taken
            (``Worker.time``).
        unit: what one unit of work is ("step", "sample"), for the report.
        repetitions: how many turns each engine gets.
        seconds_per_repetition: how long one engine's turn should last (sets the units per turn).
        progress: a callable taking a line of text (e.g. printing to stderr), or None.
        units: {engine name: units per turn} to skip calibration (for work too slow to run twice).

    Returns:
        {engine name: Timing}, in the order of ``timers``.
    """
    names = list(timers)
    if units is None:
        units = {name: units_for(timers[name], seconds_per_repetition) for name in names}
    timings = {name: Timing(name, unit, units[name]) for name in names}
    for r in range(repetitions):
        if progress:
            progress(f"repetition {r + 1}/{repetitions}")
        # Rotate the order so that no engine always runs first (right after a pause).
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            timings[name].seconds.append(timers[name](units[name]) / units[name])
    return timings
