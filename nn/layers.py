"""Neurons, layers and the networks made of them: act(w . x + b), many at a time.

A neuron's weighted sum is one ``engine.dot`` node; a layer computes all of its neurons' sums with
one ``engine.dots`` call, the engine's one documented fast path for a whole layer.
"""

import engine
from engine import Value
from nn.checks import fraction, whole_number
from nn.modules import CheckedOnAssignment, Module, initial_weights, random_generator

# -------------------------------------------------------------------- activations

# The activation a neuron applies to its weighted sum, by name: every function of one Value that the
# engine has (engine.FUNCTIONS: "relu", "tanh", "sigmoid", "leaky_relu" with PyTorch's slope 0.01, "exp",
# ...), and "linear", the weighted sum itself. A function added to the engine is an activation here too.
ACTIVATIONS = {function.__name__: function for function in engine.FUNCTIONS} | {"linear": None}


def activation_function(name):
    """The engine function an activation name stands for (None for "linear"); ValueError for an unknown name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(map(repr, ACTIVATIONS))}")
    return ACTIVATIONS[name]


# -------------------------------------------------------------------- neurons and layers


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


def _bias(b):
    if isinstance(b, Value):
        return b
    raise TypeError(f"a neuron's b must be a Value, got {type(b).__name__}: {b!r}")



class Neuron(Module):
    """One neuron: act(w . x + b).

    The weighted sum is one ``engine.dot`` node with the bias folded in (one node with 2n + 1
    parents instead of 2n nodes). ``elementary=True`` builds micrograd's graph instead: a ``*``
    node per weight and a ``+`` node per term, which draws well for a two-input neuron.

    Args:
        nin: the number of inputs.
        activation: a name in ``ACTIVATIONS``: "relu", "leaky_relu", "tanh", "sigmoid", "linear", ...
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
        self._activate = activation_function(activation)
        self.w = [Value(w) for w in initial_weights(init, nin, fan_out, random_generator(seed))]
        self.b = Value(0.0)
        self._label_parameters()

    # w and b are checked when they are assigned, where a mistake is made, not in a later forward pass.
    w = CheckedOnAssignment(lambda neuron, w: _weights(w, neuron.nin), "The weights: a tuple of ``nin`` Values.")
    b = CheckedOnAssignment(lambda neuron, b: _bias(b), "The bias: a Value.")

    def __call__(self, x):
        if len(x) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
        if self.elementary:
            z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        else:
            z = engine.dot(self.w, x, self.b)
        return z if self._activate is None else self._activate(z)

    def _describe(self):
        return f"{self.nin}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons that all see the same inputs; returns a list of ``nout`` Values.

    A forward hook (``register_forward_hook``) sees every call's inputs and outputs; ``fit`` counts
    the ReLUs that never fire with one.

    >>> layer = Layer(3, 2, seed=0)
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    def __init__(self, nin, nout, activation="relu", init="he", seed=None, elementary=False):
        whole_number(nout, "nout")
        rng = random_generator(seed)
        self.neurons = [Neuron(nin, activation, init, rng, elementary, fan_out=nout) for _ in range(nout)]
        self.nin, self.nout, self.activation = nin, nout, activation
        self.elementary = bool(elementary)
        self._activate = activation_function(activation)
        self._forward_hooks = ()
        self._label_parameters()

    def __call__(self, x):
        if len(x) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(x)}")
        if self.elementary:
            out = [neuron(x) for neuron in self.neurons]
        else:
            # What each neuron's own __call__ does, for the whole layer in one engine call: this runs for
            # every layer of every example, and a Python call per neuron would slow training down.
            try:
                sums = engine.dots([n.w for n in self.neurons], x, [n.b for n in self.neurons])
            except ValueError:
                self._name_the_misfit(len(x))
                raise
            out = sums if self._activate is None else list(map(self._activate, sums))
        for hook in self._forward_hooks:
            hook(self, x, out)
        return out

    def register_forward_hook(self, hook):
        """Call ``hook(layer, x, outputs)`` after every forward pass, as PyTorch's forward hooks are.

        Returns a handle: ``handle.remove()`` takes the hook off again.

        >>> layer, seen = Layer(2, 3, seed=0), []
        >>> handle = layer.register_forward_hook(lambda layer, x, outputs: seen.append(len(outputs)))
        >>> _ = layer([1.0, 2.0]); handle.remove(); _ = layer([1.0, 2.0])
        >>> seen
        [3]
        """
        self._forward_hooks = (*self._forward_hooks, hook)  # a new tuple: a hook may remove itself mid-call
        return _HookHandle(self, hook)

    def _name_the_misfit(self, inputs):
        """Each neuron's w fits its own nin; a neuron of another size may have been put into ``neurons``."""
        for i, neuron in enumerate(self.neurons):
            if len(neuron.w) != inputs:
                raise ValueError(f"neuron {i} has {len(neuron.w)} weights but gets {inputs} inputs")

    def _describe(self):
        return f"{self.nin}, {self.nout}, activation={self.activation!r}"


class _HookHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook off its layer."""

    def __init__(self, layer, hook):
        self.layer, self.hook = layer, hook

    def remove(self):
        hooks = list(self.layer._forward_hooks)
        if self.hook in hooks:
            hooks.remove(self.hook)
            self.layer._forward_hooks = tuple(hooks)


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
        activation_function(activation)  # checked even when no hidden layer uses it: a misspelt name is still a mistake
        rng = random_generator(seed)
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
        self._rng = random_generator(seed)

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
