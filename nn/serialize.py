"""Saving and loading a module's parameters: plain numbers by name, as JSON. Never pickle.

A state dict maps each parameter group's dotted name to its numbers: a float for a single Value
(``layers.0.neurons.3.b``), a list of floats for a tuple of Values (``layers.0.neurons.3.w``).
Loading checks everything first and changes nothing unless all of it fits, and it writes into the
existing Values, so an optimizer holding them keeps working.

The file is ``{"format": "chainrule.nn", "version": 1, "model": ..., "parameters": {state dict}}``.
JSON stores a float as its shortest exact decimal, so a saved model loads back bit for bit; unlike
pickle, loading a file can never run code.
"""

import json
import os

from engine import Value
from engine.checks import real_number
from engine.files import write_atomically

FORMAT, VERSION = "chainrule.nn", 1


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


def save(module, path):
    """Write ``module``'s parameters to ``path`` as JSON.

    Atomic (``engine.files.write_atomically``): a crash mid-save leaves the previous file whole.
    """
    document = {"format": FORMAT, "version": VERSION, "model": repr(module), "parameters": state_dict(module)}
    write_atomically(path, json.dumps(document, indent=1).encode("utf-8"))


def load(module, path):
    """Read a file written by ``save`` into ``module``; ``ValueError`` names what does not fit."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            document = json.loads(file.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a saved model (not JSON text: {error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved model: expected a JSON object with \"format\": \"{FORMAT}\"")
    version = document.get("version")
    if version != VERSION:
        raise ValueError(f"{path} has format version {version!r}; this chainrule reads version {VERSION}")
    if "parameters" not in document:
        raise ValueError(f"{path}: missing key 'parameters'")
    load_state_dict(module, document["parameters"], source=path)


def _named_groups(module):
    """``(dotted name, Value or tuple of Values)`` for every parameter group, each module once."""
    for module_name, child in module.named_modules():
        for name, group in child.own_parameter_groups():
            yield (f"{module_name}.{name}" if module_name else name), group


def _number(x, source, name):
    """x as a float; a file holding something else is a corrupt file, so a ValueError."""
    try:
        return real_number(x, f"{source}: {name!r}")
    except TypeError as error:
        raise ValueError(str(error)) from None


def _and_more(names):
    return f" (and {len(names) - 1} more)" if len(names) > 1 else ""
