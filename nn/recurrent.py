"""Recurrent networks: one cell applied at every step of a sequence, so backward runs through time."""

from nn.checks import whole_number
from nn.layers import Layer, Neuron
from nn.modules import Module, random_generator


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
        rng = random_generator(seed)
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
        rng = random_generator(seed)
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
