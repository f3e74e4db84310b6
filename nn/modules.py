"""Modules: what every layer and network shares, and how their weights start.

A module holds parameters (leaf Values it creates) and sub-modules, in its *public* attributes:

    a Value                   -> a parameter, named after the attribute        ("b")
    a tuple or list of Values -> one parameter per item                          ("w.0", "w.1", ...)
    a Module                  -> a sub-module                                     ("cell")
    a list of Modules         -> one sub-module per item                          ("layers.0", "layers.1", ...)

``Module`` finds them by looking at the attributes, so a new module only has to store its parts and
define ``__call__``. Names join with dots from the outermost module down (``layers.0.neurons.3.w.2``)
and become the parameters' labels, so drawings and explanations say which weight is which.
The modules themselves are in ``nn.layers`` and ``nn.recurrent``.
"""

import math
import random

from engine import Value
from nn import serialize

# -------------------------------------------------------------------- initialisation


def initial_weights(scheme, nin, nout, rng):
    """``nin`` starting weights for one neuron of a layer with ``nin`` inputs and ``nout`` neurons.

    "he":      normal, mean 0, std sqrt(2 / nin)          keeps a ReLU layer's output variance steady
    "xavier":  uniform on [-a, a], a = sqrt(6 / (nin + nout))   the same for tanh and sigmoid layers
    "uniform": uniform on [-1, 1]                          micrograd's choice: fine for small nets

    >>> import random
    >>> ws = initial_weights("uniform", 3, 1, random.Random(0))
    >>> len(ws), all(-1 <= w <= 1 for w in ws)
    (3, True)
    """
    if scheme == "he":
        std = math.sqrt(2.0 / nin)
        return [rng.gauss(0.0, std) for _ in range(nin)]
    if scheme == "xavier":
        a = math.sqrt(6.0 / (nin + nout))
        return [rng.uniform(-a, a) for _ in range(nin)]
    if scheme == "uniform":
        return [rng.uniform(-1.0, 1.0) for _ in range(nin)]
    raise ValueError(f"unknown init {scheme!r}; choose 'he', 'xavier' or 'uniform'")


def suggested_init(activation):
    """The scheme that suits ``activation``: He's for the ReLUs (they zero, or nearly, half their inputs), else Xavier's.

    >>> suggested_init("relu"), suggested_init("tanh")
    ('he', 'xavier')
    """
    return "he" if activation in ("relu", "leaky_relu") else "xavier"


def random_generator(seed):
    """A private random number generator: the global one is never touched, so results do not depend on other code.

    ``seed`` is an int, None (fresh randomness) or a ``random.Random`` to share, so that the layers
    of one network draw different weights from one seed.
    """
    return seed if isinstance(seed, random.Random) else random.Random(seed)


# -------------------------------------------------------------------- the base class


class Module:
    """What every layer and network shares: finding its parameters and sub-modules, and train/eval mode.

    >>> from nn import MLP
    >>> model = MLP(2, [3, 1], seed=0)
    >>> len(model.parameters())             # (2 + 1) * 3 + (3 + 1) * 1
    13
    >>> [name for name, _ in model.named_modules()][:3]
    ['', 'layers.0', 'layers.0.neurons.0']
    """

    training = True
    # The names of this module's own parameter groups that are biases (see ``weights``).
    bias_names = ("b",)

    def named_children(self):
        """``(name, module)`` for each direct sub-module, in the order the attributes were set."""
        for name, attribute in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attribute, Module):
                yield name, attribute
            elif isinstance(attribute, (list, tuple)):
                for i, item in enumerate(attribute):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_modules(self):
        """``(dotted name, module)`` for this module (named "") and every module inside it, parents first.

        A module reached twice (shared between two places) is listed once, under its first name.
        """
        seen = set()
        stack = [("", self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child) for child_name, child in module.named_children()]
            stack.extend(reversed(children))  # reversed: the first child comes off the stack first

    def own_parameter_groups(self):
        """``(attribute name, Value or tuple of Values)`` for the parameters this module holds itself.

        A neuron has two: ``("w", (w0, w1, ...))`` and ``("b", b)``. Sub-modules' parameters are not included.
        """
        for name, attribute in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attribute, Value):
                yield name, attribute
            elif isinstance(attribute, (list, tuple)) and attribute and all(isinstance(v, Value) for v in attribute):
                yield name, tuple(attribute)

    def named_own_parameters(self):
        """``(name, Value)`` for each parameter this module holds itself: ``b``, ``w.0``, ``w.1``, ..."""
        for name, group in self.own_parameter_groups():
            if isinstance(group, Value):
                yield name, group
            else:
                for i, value in enumerate(group):
                    yield f"{name}.{i}", value

    def named_parameters(self):
        """``(dotted name, Value)`` for every parameter, e.g. ``layers.0.neurons.3.w.2``.

        Each name is also set as the parameter's ``label``, so that drawings name the weights, unless
        the label says more already: asking a sub-module (``model.layers[0]``) never shortens a name
        the whole model gave, and a label set by hand that is not such a name is kept.
        A parameter shared between modules is listed once.
        """
        seen = set()
        named = []
        for module_name, module in self.named_modules():
            for name, value in module.named_own_parameters():
                if id(value) not in seen:
                    seen.add(id(value))
                    full_name = f"{module_name}.{name}" if module_name else name
                    if not value.label or full_name.endswith("." + value.label):
                        value.label = full_name
                    named.append((full_name, value))
        return named

    def parameters(self):
        """Every parameter (a list of Values, in the order of ``named_parameters``), to hand to an optimizer."""
        return [value for _, value in self.named_parameters()]

    def weights(self):
        """Every parameter that is not a bias: what a penalty on "large weights" usually means.

        A bias only shifts a neuron's input, it does not scale anything, so penalising it does not make
        the function smoother; ``fit(..., penalize_biases=False)`` penalises these alone. A module's
        biases are the groups named in its ``bias_names`` (``b`` here; ``b_ih``, ``b_hh`` in an LSTM).

        >>> from nn import MLP
        >>> model = MLP(2, [3, 1], seed=0)
        >>> len(model.parameters()), len(model.weights())    # 4 of the 13 are biases
        (13, 9)
        """
        biases = set()
        for _, module in self.named_modules():
            for name, group in module.own_parameter_groups():
                if name in module.bias_names:
                    biases.update(map(id, group if isinstance(group, tuple) else (group,)))
        return [value for value in self.parameters() if id(value) not in biases]

    def zero_grad(self):
        """Set every parameter's grad to 0 (leaves accumulate gradients across ``backward()`` calls)."""
        for value in self.parameters():
            value.grad = 0.0

    def train(self, mode=True):
        """Switch this module and all inside it to training mode (``Dropout`` drops); returns the module."""
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Switch to evaluation mode (``Dropout`` passes everything through); returns the module."""
        return self.train(False)

    # Saving and loading live in nn.serialize; these methods are the doors to them.

    def state_dict(self):
        """The parameters' numbers by name: a float per single parameter, a list per tuple (``w``)."""
        return serialize.state_dict(self)

    def load_state_dict(self, state):
        """Copy numbers from ``state`` into the parameters (the same Values, so optimizers keep working)."""
        serialize.load_state_dict(self, state)
        return self

    def save(self, path, allow_nonfinite=False):
        """Write the parameters to ``path`` as JSON, atomically: a crash mid-save keeps the old file.

        A nan or infinite weight is refused (did training diverge?) unless ``allow_nonfinite=True``.
        """
        serialize.save(self, path, allow_nonfinite=allow_nonfinite)

    def load(self, path):
        """Read parameters saved by ``save(path)`` into this module; returns the module."""
        serialize.load(self, path)
        return self

    # to_torch(): the same network as a float64 torch.nn.Sequential with these weights. It is defined in
    # nn/torch_bridge.py, which installs it on this class: the bridge needs the layers, and they need Module.

    def __repr__(self):
        return f"{type(self).__name__}({self._describe()})"

    def _describe(self):
        return ""

    def _label_parameters(self):
        """Name every parameter from this module down (constructors call it; an outer module renames later)."""
        self.named_parameters()


class CheckedOnAssignment:
    """An attribute checked (and converted) by ``check(owner, value)`` when it is assigned.

    With ``__set__`` and no ``__get__``, a read is a plain read from the instance's dict (where
    ``Module`` finds parameters): a layer reads every neuron's ``w`` and ``b`` on every call."""

    def __init__(self, check, doc):
        self.check, self.__doc__ = check, doc

    def __set_name__(self, owner, name):
        self.name = name

    def __set__(self, instance, value):
        instance.__dict__[self.name] = self.check(instance, value)
