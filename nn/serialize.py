"""Saving and loading a module's parameters: plain numbers by name, as JSON. Never pickle.

A state dict maps each parameter group's dotted name to its numbers: a float for a single Value
(``layers.0.neurons.3.b``), a list of floats for a tuple of Values (``layers.0.neurons.3.w``).
Loading checks everything first and changes nothing unless all of it fits, and it writes into the
existing Values, so an optimizer holding them keeps working.

The file is ``{"format": "chainrule.nn", "version": 1, "model": ..., "parameters": {state dict}}``.
JSON stores a float as its shortest exact decimal, so a saved model loads back bit for bit; unlike
pickle, loading a file can never run code.

The file is standard JSON, which has no nan or infinity. ``save`` refuses a model holding one (training
diverged) unless asked with ``allow_nonfinite=True``; then each is written as the string "nan", "inf"
or "-inf", and ``load`` reads those strings back. That is the only way a file holds them: Python's
non-standard ``NaN``/``Infinity`` tokens, and numbers too large for a float (``1e400``), are refused.
"""

import json
import math
import os

from engine import Value
from engine.checks import real_number, shortened
from engine.files import write_atomically

FORMAT, VERSION = "chainrule.nn", 1

# How a file stores a non-finite number: repr(x) on saving, float(text) on loading.
NONFINITE = ("nan", "inf", "-inf")

# The most bytes ``load`` reads before deciding a file is too large to be a saved model of the module
# it loads into (so /dev/zero or a huge file is refused, not read until memory runs out): room for every
# number at its longest (24 characters, -2.2250738585072014e-308) with indentation, each name written
# with every character escaped (\uXXXX), and a megabyte more for the header and hand edits.
_BYTES_PER_NUMBER, _BYTES_PER_CHARACTER, _BYTES_SPARE = 64, 6, 2**20


def state_dict(module):
    """``{name: float or list of floats}`` for every parameter group of ``module``.

    >>> from nn import Neuron
    >>> n = Neuron(2, seed=0)
    >>> sorted(n.state_dict())
    ['b', 'w']
    """
    state = {}
    for name, group in _named_groups(module):
        state[name] = group.data if isinstance(group, Value) else [v.data for v in group]
    return state


def load_state_dict(module, state, source="state dict"):
    """Copy the numbers of ``state`` into ``module``'s parameters.

    Raises ``ValueError`` naming the first problem (a missing or unexpected name, a list of the wrong
    length, something that is not a number) before changing any parameter.
    """
    if not isinstance(state, dict):
        raise ValueError(f"{source}: expected a dict of parameter names to numbers, got {type(state).__name__}")
    groups = dict(_named_groups(module))
    missing = [name for name in groups if name not in state]
    if missing:
        raise ValueError(f"{source}: missing key {missing[0]!r}{_and_more(missing)}; was it saved from another model?")
    unexpected = [name for name in state if name not in groups]
    if unexpected:
        raise ValueError(f"{source}: unexpected key {unexpected[0]!r}{_and_more(unexpected)}; was it saved from another model?")
    updates = []
    for name, group in groups.items():
        saved = state[name]
        if isinstance(group, Value):
            updates.append((group, _number(saved, source, name)))
            continue
        if not isinstance(saved, list) or len(saved) != len(group):
            got = f"{len(saved)} numbers" if isinstance(saved, list) else type(saved).__name__
            raise ValueError(f"{source}: wrong shape for {name!r}: the model has {len(group)} numbers there, got {got}")
        updates.extend((value, _number(x, source, f"{name}[{i}]")) for i, (value, x) in enumerate(zip(group, saved)))
    for value, x in updates:
        value.data = x


def save(module, path, allow_nonfinite=False):
    """Write ``module``'s parameters to ``path`` as standard JSON.

    Atomic (``engine.files.write_atomically``): a crash mid-save leaves the previous file whole.

    Args:
        allow_nonfinite: write nan and infinities (as the strings in ``NONFINITE``) instead of
            raising ``ValueError``, which names the first one and leaves ``path`` untouched.
    """
    path = os.fspath(path)
    state = state_dict(module)
    nonfinite = [(name, x) for name, x in _named_numbers(state) if not math.isfinite(x)]
    if nonfinite and not allow_nonfinite:
        name, x = nonfinite[0]
        raise ValueError(f"{path}: not saved: {name!r} is {_stored(x)}{_and_more(nonfinite)}, did training "
                         f'diverge? To save it anyway, as the string "{_stored(x)}", use save(model, path, '
                         f"allow_nonfinite=True)")
    for name, group in state.items():
        state[name] = [_stored(x) for x in group] if isinstance(group, list) else _stored(group)
    document = {"format": FORMAT, "version": VERSION, "model": repr(module), "parameters": state}
    write_atomically(path, json.dumps(document, indent=1, allow_nan=False).encode("utf-8"))


def load(module, path):
    """Read a file written by ``save`` into ``module``; ``ValueError`` names what does not fit."""
    path = os.fspath(path)
    limit = _largest_file(module)
    with open(path, "rb") as file:
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"{path} is not a saved model: it is larger than {limit} bytes, the most a saved "
                         f"{type(module).__name__} of this size can take; is it the right file?")
    try:
        document = json.loads(raw.decode("utf-8"), parse_float=_float, parse_constant=_nonstandard)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a saved model (not JSON text: {error})") from None
    except RecursionError:  # json's parser recurses once per [ or {; a saved model nests three deep
        raise ValueError(f"{path} is not a saved model (not JSON text: lists or objects nested too deeply)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved model: expected a JSON object with \"format\": \"{FORMAT}\"")
    version = document.get("version")
    if version != VERSION:
        raise ValueError(f"{path} has format version {version!r}; this chainrule reads version {VERSION}")
    if "parameters" not in document:
        raise ValueError(f"{path}: missing key 'parameters'")
    state = document["parameters"]
    if isinstance(state, dict):
        state = {name: [_read(x) for x in saved] if isinstance(saved, list) else _read(saved)
                 for name, saved in state.items()}
    load_state_dict(module, state, source=path)


def _named_groups(module):
    """``(dotted name, Value or tuple of Values)`` for every parameter group, each module once."""
    for module_name, child in module.named_modules():
        for name, group in child.own_parameter_groups():
            yield (f"{module_name}.{name}" if module_name else name), group


def _named_numbers(state):
    """``(name, float)`` for every number of a state dict, a list's numbers named ``w[0]``, ``w[1]``, ..."""
    for name, group in state.items():
        if isinstance(group, list):
            yield from ((f"{name}[{i}]", x) for i, x in enumerate(group))
        else:
            yield name, group


def _stored(x):
    """``x`` as the file stores it: a finite float as itself, the others as a string from ``NONFINITE``."""
    return x if math.isfinite(x) else repr(float(x))  # float first: numpy's repr is 'np.float64(nan)'


def _read(x):
    """A number as the file stored it, back as a float: the inverse of ``_stored``; anything else unchanged."""
    return float(x) if isinstance(x, str) and x in NONFINITE else x


def _largest_file(module):
    """The most bytes a saved file of ``module`` can take; see ``_BYTES_PER_NUMBER``."""
    size = _BYTES_SPARE + _BYTES_PER_CHARACTER * len(repr(module))
    for name, group in _named_groups(module):
        size += _BYTES_PER_CHARACTER * len(name) + _BYTES_PER_NUMBER * (1 if isinstance(group, Value) else len(group))
    return size


class _Unreadable:
    """A number in the file that no float holds (``1e400``) or that standard JSON lacks (``NaN``).

    json hands it to a hook that does not know where in the file it is, so the hook returns this, and
    ``_number`` raises the error naming the parameter, worded as ``real_number``'s for a huge integer.
    """

    def __init__(self, literal, problem):
        self.literal, self.problem = literal, problem

    def __repr__(self):
        return self.literal


def _float(literal):
    """json's ``parse_float``: the float, or ``_Unreadable`` where json alone would give an infinity."""
    x = float(literal)
    return x if math.isfinite(x) else _Unreadable(literal, "is too large for a float")


def _nonstandard(token):
    """json's ``parse_constant``, called for the tokens NaN, Infinity and -Infinity that standard JSON lacks."""
    strings = ", ".join(f'"{text}"' for text in NONFINITE)
    return _Unreadable(token, f'is not standard JSON; write it as the string "{_stored(float(token))}" '
                              f"(a saved model stores non-finite numbers as the strings {strings})")


def _number(x, source, name):
    """x as a float; a file holding something else is a corrupt file, so a ValueError."""
    if isinstance(x, _Unreadable):
        raise ValueError(f"{source}: {name!r}: {shortened(x)} {x.problem}")
    try:
        return real_number(x, f"{source}: {name!r}")
    except TypeError as error:
        raise ValueError(str(error)) from None


def _and_more(names):
    return f" (and {len(names) - 1} more)" if len(names) > 1 else ""
