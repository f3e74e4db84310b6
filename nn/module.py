"""Modules: neurons, layers and networks built from Values, and what every module can do.

A module holds parameters (leaf Values it creates) and sub-modules, in its *public* attributes:

    a Value                   -> a parameter, named after the attribute        ("b")
    a tuple or list of Values -> one parameter per item                          ("w.0", "w.1", ...)
    a Module                  -> a sub-module                                     ("cell")
    a list of Modules         -> one sub-module per item                          ("layers.0", "layers.1", ...)

``Module`` finds them by looking at the attributes, so a new module only has to store its parts and
define ``__call__``. Names join with dots from the outermost module down (``layers.0.neurons.3.w.2``)
and become the parameters' labels, so drawings and explanations say which weight is which.
"""

import math
import random

import engine
from engine import Value
from engine.value import dot_node, leaves_or_tuple, prepare_inputs
from nn import serialize
from nn.checks import fraction, whole_number

# -------------------------------------------------------------------- activations

# The activation a neuron applies to its weighted sum, by name (None: the sum itself).
ACTIVATIONS = {
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,  # slope 0.01 for x < 0, PyTorch's default
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(map(repr, ACTIVATIONS))}")
    return ACTIVATIONS[name]


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


def _random(seed):
    """A private random number generator: the global one is never touched, so results do not depend on other code."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


# -------------------------------------------------------------------- the base class


class Module:
    """What every layer and network shares: finding its parameters and sub-modules, and train/eval mode.

    >>> model = MLP(2, [3, 1], seed=0)
    >>> len(model.parameters())             # (2 + 1) * 3 + (3 + 1) * 1
    13
    >>> [name for name, _ in model.named_modules()][:3]
    ['', 'layers.0', 'layers.0.neurons.0']
    """

    training = True

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

    def save(self, path):
        """Write the parameters to ``path`` as JSON, atomically: a crash mid-save keeps the old file."""
        serialize.save(self, path)

    def load(self, path):
        """Read parameters saved by ``save(path)`` into this module; returns the module."""
        serialize.load(self, path)
        return self

    def to_torch(self):
        """The same network as a float64 ``torch.nn.Sequential`` carrying these weights (needs PyTorch)."""
        from nn.torch_bridge import to_torch  # here, not at the top: torch_bridge imports this module

        return to_torch(self)

    def __repr__(self):
        return f"{type(self).__name__}({self._describe()})"

    def _describe(self):
        return ""

    def _label_parameters(self):
        """Name every parameter from this module down (constructors call it; an outer module renames later)."""
        self.named_parameters()


# -------------------------------------------------------------------- neurons and layers


class Neuron(Module):
    """One neuron: act(w . x + b).

    The weighted sum is one dot node (as ``engine.dot`` makes) with the bias folded in (one node with
    2n + 1 parents instead of 2n nodes). ``elementary=True`` builds micrograd's graph instead: a
    ``*`` node per weight and a ``+`` node per term, which draws well for a two-input neuron.

    Args:
        nin: the number of inputs.
        activation: "relu", "leaky_relu", "tanh", "sigmoid" or "linear".
        init: "he", "xavier" or "uniform" (see ``initial_weights``); the bias starts at 0.
        seed: an int (or a ``random.Random``) for reproducible weights; None draws fresh ones.
        elementary: build the weighted sum from elementary ``*`` and ``+`` nodes.
        fan_out: the number of neurons in this neuron's layer; only "xavier" uses it.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.w = (Value(2.0), Value(-1.0))
    >>> n([3.0, 4.0]).data            # 2*3 - 1*4 + 0
    2.0
    """

    def __init__(self, nin, activation="relu", init="he", seed=None, elementary=False, fan_out=1):
        self.nin = whole_number(nin, "nin")
        self.activation = activation
        self.elementary = bool(elementary)
        self._activate = _activation(activation)
        self.w = tuple(Value(w) for w in initial_weights(init, nin, fan_out, _random(seed)))
        self.b = Value(0.0)
        self._label_parameters()

    def __setattr__(self, name, value):
        """Assigning ``w`` or ``b`` checks it and rebuilds ``_weights_and_bias``, the tuple that forward passes use."""
        if name == "w":
            value = _weights(value, self.nin)
        elif name == "b" and not isinstance(value, Value):
            raise TypeError(f"a neuron's b must be a Value, got {type(value).__name__}: {value!r}")
        super().__setattr__(name, value)
        if name in ("w", "b") and "w" in vars(self) and "b" in vars(self):
            # Checked here, once, so that a forward pass can hand it to engine's dot_node unchecked.
            super().__setattr__("_weights_and_bias", leaves_or_tuple((*self.w, self.b)))

    def __call__(self, x):
        if len(x) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
        if self.elementary:
            z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        else:
            z = _weighted_sums([self], x if type(x) is tuple else tuple(x))[0]
        return z if self._activate is None else self._activate(z)

    def _describe(self):
        return f"{self.nin}, activation={self.activation!r}"


def _weights(w, nin):
    """A neuron's ``w`` as a tuple of ``nin`` Values, or the error that says what is wrong with it."""
    try:
        w = tuple(w)
    except TypeError:
        raise TypeError(f"a neuron's w must be a sequence of {nin} Values, got {type(w).__name__}") from None
    if len(w) != nin:
        raise ValueError(f"a neuron with nin={nin} needs {nin} weights in w, got {len(w)}")
    for i, weight in enumerate(w):
        if not isinstance(weight, Value):
            raise TypeError(f"a neuron's w must hold Values, but w[{i}] is {type(weight).__name__}: {weight!r}")
    return w


def _weighted_sums(neurons, x):
    """Each neuron's w . x + b, one engine dot node per neuron, with x checked once for them all.

    The weights are not checked again either: each neuron checked its ``_weights_and_bias`` when
    ``w`` or ``b`` was assigned. A first layer's neurons even share their tuples with the graph:
    every dot node's parents are its neuron's own tuple, and all of them share one tuple of inputs.
    """
    prepared = prepare_inputs(x, True, "a neuron's input")
    if prepared is None:  # Values mixed with numbers: engine.dot sorts them out
        return [engine.dot(neuron.w, x, neuron.b) for neuron in neurons]
    inputs, numbers = prepared
    for i, neuron in enumerate(neurons):  # dot_node trusts its lengths: a neuron swapped in must fit
        if len(neuron._weights_and_bias) != len(numbers):
            raise ValueError(f"neuron {i} has {len(neuron.w)} weights but gets {len(x)} inputs")
    return [dot_node(neuron._weights_and_bias, inputs, numbers) for neuron in neurons]


class Layer(Module):
    """``nout`` neurons that all see the same inputs; returns a list of ``nout`` Values.

    ``fired`` is None, or a list with a flag per neuron: set it to ``[False] * nout`` and each call
    marks the neurons whose output was positive. A ReLU neuron never marked over a whole data set
    is dead (``fit`` counts them this way).

    >>> layer = Layer(3, 2, seed=0)
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    def __init__(self, nin, nout, activation="relu", init="he", seed=None, elementary=False):
        whole_number(nout, "nout")
        rng = _random(seed)
        self.neurons = [Neuron(nin, activation, init, rng, elementary, fan_out=nout) for _ in range(nout)]
        self.nin, self.nout, self.activation = nin, nout, activation
        self.elementary = bool(elementary)
        self._activate = _activation(activation)
        self.fired = None
        self._label_parameters()

    def __call__(self, x):
        if self.elementary:
            out = [neuron(x) for neuron in self.neurons]
        else:
            if len(x) != self.nin:
                raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
            # Each neuron's own __call__, done here for the whole layer: this loop runs for every neuron
            # of every example, and a Python call per neuron would cost about a tenth of a training step.
            sums = _weighted_sums(self.neurons, x if type(x) is tuple else tuple(x))
            out = sums if self._activate is None else list(map(self._activate, sums))
        if self.fired is not None:
            self.fired = [fired or value.data > 0.0 for fired, value in zip(self.fired, out)]
        return out

    def _describe(self):
        return f"{self.nin}, {self.nout}, activation={self.activation!r}"


class Sequential(Module):
    """Modules applied one after another: the output of each is the input of the next.

    >>> model = Sequential(Layer(2, 4, seed=0), Dropout(0.5, seed=0), Layer(4, 1, activation="linear", seed=1))
    >>> len(model([1.0, -1.0]))
    1
    """

    def __init__(self, *layers):
        for layer in layers:
            if not callable(layer):
                raise TypeError(f"Sequential takes modules (callables), got {type(layer).__name__}")
        self.layers = list(layers)
        self._label_parameters()

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def _describe(self):
        return ", ".join(map(repr, self.layers))


class MLP(Sequential):
    """A multilayer perceptron: ``Layer(nin, sizes[0])``, then ``Layer(sizes[0], sizes[1])``, ...

    Hidden layers use ``activation``, the last uses ``output_activation``. With one output the
    network returns that Value itself (as micrograd's does), otherwise a list of Values.

    >>> model = MLP(2, [16, 16, 1], seed=0)       # micrograd's moons network
    >>> score = model([0.5, -1.0])
    >>> type(score).__name__, len(model.parameters())
    ('Value', 337)
    """

    def __init__(self, nin, sizes, activation="relu", output_activation="linear", init="he", seed=None, elementary=False):
        sizes = list(sizes)
        if not sizes:
            raise ValueError("sizes must name at least one layer, e.g. MLP(2, [16, 1])")
        rng = _random(seed)
        inputs = [nin] + sizes[:-1]
        acts = [activation] * (len(sizes) - 1) + [output_activation]
        super().__init__(*(Layer(a, b, act, init, rng, elementary) for a, b, act in zip(inputs, sizes, acts)))
        self.nin, self.sizes = nin, sizes

    def __call__(self, x):
        x = super().__call__(x)
        return x[0] if len(x) == 1 else x

    def _describe(self):
        return f"{self.nin}, {self.sizes}"


# -------------------------------------------------------------------- regularisation and shortcuts


class Dropout(Module):
    """Zero each input with probability ``p`` while training, scaling the rest by 1 / (1 - p).

    The scaling keeps each output's expected value equal to its input, so nothing changes in
    ``eval()`` mode, where inputs pass through untouched. Dropped inputs stay in the graph as
    ``x * 0`` (gradient 0), so a drawing shows what was dropped.

    >>> drop = Dropout(0.5, seed=0)
    >>> [v.data for v in drop([Value(1.0)] * 4)]
    [2.0, 2.0, 0.0, 0.0]
    >>> [v.data for v in drop.eval()([Value(1.0)] * 2)]
    [1.0, 1.0]
    """

    def __init__(self, p=0.5, seed=None):
        self.p = fraction(p, "the dropout probability p")
        self._rng = _random(seed)

    def __call__(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 / (1.0 - self.p)
        random_number = self._rng.random
        return [xi * (0.0 if random_number() < self.p else keep) for xi in x]

    def _describe(self):
        return f"p={self.p}"


class Residual(Module):
    """``x + block(x)``: a shortcut that gives the gradient a path around the block.

    d(out)/dx = 1 + d(block)/dx, so even when the block's derivative vanishes the gradient reaches
    earlier layers. The block must return as many outputs as it takes inputs.

    >>> block = Residual(Layer(2, 2, activation="linear", seed=0))
    >>> len(block([1.0, 2.0]))
    2
    """

    def __init__(self, block):
        if not callable(block):
            raise TypeError(f"Residual needs a module to wrap, got {type(block).__name__}")
        self.block = block
        self._label_parameters()

    def __call__(self, x):
        y = self.block(x)
        if isinstance(y, Value):
            y = [y]
        if len(y) != len(x):
            raise ValueError(f"Residual needs a block with as many outputs as inputs: got {len(x)} inputs, {len(y)} outputs")
        return [xi + yi for xi, yi in zip(x, y)]

    def _describe(self):
        return repr(self.block)


# -------------------------------------------------------------------- recurrent networks


class RNNCell(Module):
    """One step of a recurrent network: h_new = tanh(W_x x + W_h h + b).

    Each hidden unit is a neuron over the inputs and the previous hidden state together: its
    first ``nin`` weights are its row of W_x, the other ``nhidden`` its row of W_h.

    >>> cell = RNNCell(2, 3, seed=0)
    >>> h = cell([1.0, 0.5])              # h starts at zeros
    >>> len(cell([0.0, 1.0], h))
    3
    """

    def __init__(self, nin, nhidden, activation="tanh", init="xavier", seed=None):
        self.nin, self.nhidden = whole_number(nin, "nin"), whole_number(nhidden, "nhidden")
        rng = _random(seed)
        self.neurons = [Neuron(nin + nhidden, activation, init, rng, fan_out=nhidden) for _ in range(nhidden)]
        self._label_parameters()

    def __call__(self, x, h=None):
        if len(x) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
        if h is None:
            h = [0.0] * self.nhidden
        elif len(h) != self.nhidden:
            raise ValueError(f"expected a hidden state of {self.nhidden} values, got {len(h)}")
        xh = (*x, *h)
        return [neuron(xh) for neuron in self.neurons]

    def _describe(self):
        return f"{self.nin}, {self.nhidden}"


class RNN(Module):
    """A recurrent network unrolled over a sequence; its backward pass is backpropagation through time.

    The same cell (the same weights) runs at every step, so each weight's gradient sums its
    contributions from every step. With ``nout``, a linear ``readout`` layer maps each hidden state
    to outputs. Returns one output per step: a list of Values (the readout's, or the hidden state).

    >>> rnn = RNN(1, 4, nout=1, seed=0)
    >>> outputs = rnn([[0.1], [0.2], [0.3]])
    >>> len(outputs), len(outputs[-1])
    (3, 1)
    """

    def __init__(self, nin, nhidden, nout=None, activation="tanh", init="xavier", seed=None):
        rng = _random(seed)
        self.cell = RNNCell(nin, nhidden, activation, init, rng)
        self.readout = None if nout is None else Layer(nhidden, nout, "linear", init, rng)
        self.nin, self.nhidden, self.nout = nin, nhidden, nout
        self._label_parameters()

    def __call__(self, sequence, h=None):
        outputs = []
        for x in sequence:
            h = self.cell(x, h)
            outputs.append(h if self.readout is None else self.readout(h))
        return outputs

    def _describe(self):
        return f"{self.nin}, {self.nhidden}, nout={self.nout}"
