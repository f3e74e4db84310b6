"""Recurrent networks: one cell applied at every step of a sequence, so backward runs through time.

``RNN`` runs a tanh cell; ``LSTM`` a gated cell whose cell state carries the gradient back many steps.
"""

import math

import engine
from engine import Value
from engine.checks import shortened
from nn.checks import finite, whole_number
from nn.layers import ACTIVATIONS, Layer, Neuron
from nn.modules import Module, random_generator
from nn.torch_bridge import _import_torch, to_torch


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


# -------------------------------------------------------------------- long short-term memory

# The four gates of an LSTM cell in PyTorch's order (the order of the rows of its weight_ih, weight_hh and
# biases), each with its activation: the input, forget and output gates are sigmoids, valves between 0 and 1;
# the cell gate is a tanh, the new content to write, between -1 and 1.
GATES = (("input_gate", "sigmoid"), ("forget_gate", "sigmoid"), ("cell_gate", "tanh"), ("output_gate", "sigmoid"))


class GateUnit(Module):
    """The parameters of one unit of an LSTM gate, which computes act(w . (x, h) + b_ih + b_hh).

    Its first ``input_size`` weights are its row of PyTorch's ``weight_ih``, the others its row of
    ``weight_hh``. Only the sum of the two biases matters, but both are kept, as PyTorch keeps them, so
    that the weights copy to PyTorch one to one and each bias gets the gradient PyTorch gives it.
    ``LSTMCell`` computes the units of a gate together (see ``LSTMCell._gate``).
    """

    bias_names = ("b_ih", "b_hh")

    def __init__(self, input_size, hidden_size, rng):
        # PyTorch's initialisation: every weight and bias uniform on [-1/sqrt(H), 1/sqrt(H)].
        bound = 1.0 / math.sqrt(hidden_size)
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(input_size + hidden_size)]
        self.b_ih = Value(rng.uniform(-bound, bound))
        self.b_hh = Value(rng.uniform(-bound, bound))

    def _describe(self):
        return f"{len(self.w)} weights"


class LSTMCell(Module):
    """One step of a long short-term memory network: (x, (h, c)) -> (h_new, c_new).

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     input gate: how much new content to write
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)     forget gate: how much of the cell state to keep
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)        cell gate: the new content
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)     output gate: how much of the cell state to show
        c_new = f * c + i * g,    h_new = o * tanh(c_new)

    d c_new / d c = f: the cell state passes back through a step multiplied by the forget gate alone, with
    no weight matrix and no squashing, so while f stays near 1 the gradient crosses many steps undiminished.

    The parameters are PyTorch's (``torch.nn.LSTMCell``), held gate by gate: ``forget_gate[j]`` is
    unit j of the forget gate (a ``GateUnit``), whose weights and biases are row H + j of PyTorch's
    ``weight_ih``/``weight_hh`` and ``bias_ih``/``bias_hh``. All start uniform on [-1/sqrt(H), 1/sqrt(H)],
    as PyTorch's do; ``forget_bias`` then adds a number to each forget unit's ``b_ih``.

    Args:
        input_size, hidden_size: the sizes of x and of h (and c).
        seed: an int (or a ``random.Random``) for reproducible weights; None draws fresh ones.
        forget_bias: added to the forget gate's starting biases (Jozefowicz et al., 2015, advise 1.0): the
            gate starts open, so the cell state starts by remembering and the gradient reaches far back.
            Only the starting numbers change, so ``to_torch`` still copies the weights as they are.

    >>> cell = LSTMCell(2, 3, seed=0)
    >>> h, c = cell([1.0, 0.5])              # h and c start at zeros
    >>> h, c = cell([0.0, 1.0], (h, c))
    >>> len(h), len(c)
    (3, 3)
    """

    def __init__(self, input_size, hidden_size, seed=None, forget_bias=0.0):
        self.input_size = whole_number(input_size, "input_size")
        self.hidden_size = whole_number(hidden_size, "hidden_size")
        self.forget_bias = finite(forget_bias, "forget_bias")
        rng = random_generator(seed)
        for gate, _ in GATES:
            setattr(self, gate, [GateUnit(input_size, hidden_size, rng) for _ in range(hidden_size)])
        for unit in self.forget_gate:
            unit.b_ih.data += self.forget_bias
        self._label_parameters()

    def __call__(self, x, state=None):
        if len(x) != self.input_size:
            raise ValueError(f"expected {self.input_size} inputs, got {len(x)}")
        if state is None:
            zeros = [0.0] * self.hidden_size
            h, c = zeros, zeros
        else:
            h, c = self._checked(state)
        # The 1.0 is the input of each unit's second bias, b_hh, which dots takes as one more weight.
        xh = (*x, *h, 1.0)
        i, f, g, o = (self._gate(getattr(self, gate), activation, xh) for gate, activation in GATES)
        c_new = [fj * cj + ij * gj for fj, cj, ij, gj in zip(f, c, i, g)]
        h_new = [oj * cj.tanh() for oj, cj in zip(o, c_new)]
        return h_new, c_new

    @staticmethod
    def _gate(units, activation, xh):
        """One gate's outputs: act(w . (x, h) + b_hh * 1 + b_ih) for each unit, one ``dot`` node per unit."""
        sums = engine.dots([(*unit.w, unit.b_hh) for unit in units], xh, [unit.b_ih for unit in units])
        return list(map(ACTIVATIONS[activation], sums))

    def _checked(self, state):
        """``state`` as ``(h, c)``, or the error that says what is wrong with it."""
        size = self.hidden_size
        try:
            h, c = state
            lengths = len(h), len(c)
        except (TypeError, ValueError):  # not a pair, or a pair of numbers (h alone, of two units?)
            raise TypeError(f"an LSTM's state is a pair (h, c) of two lists of {size} values, as LSTMCell "
                            f"returns it; got {shortened(state)}") from None
        for name, length in zip(("a hidden state h", "a cell state c"), lengths):
            if length != size:
                raise ValueError(f"expected {name} of {size} values, got {length}")
        return h, c

    def to_torch(self):
        """The same cell as a float64 ``torch.nn.LSTMCell`` carrying these weights (needs PyTorch).

        Called as this cell is: ``twin(x, (h, c))`` returns ``(h_new, c_new)``, for one x of shape
        (input_size,) or a batch of shape (N, input_size). Changing one cell later does not change the other.
        """
        torch = _import_torch()
        twin = torch.nn.LSTMCell(self.input_size, self.hidden_size, dtype=torch.float64)
        self._copy_weights(torch, twin.weight_ih, twin.weight_hh, twin.bias_ih, twin.bias_hh)
        return twin.train(self.training)

    def _copy_weights(self, torch, weight_ih, weight_hh, bias_ih, bias_hh):
        """Write this cell's parameters into PyTorch's four tensors: the gates' units stacked in GATES order."""
        units = [unit for gate, _ in GATES for unit in getattr(self, gate)]
        rows = [[w.data for w in unit.w] for unit in units]
        n = self.input_size
        with torch.no_grad():
            weight_ih.copy_(torch.tensor([row[:n] for row in rows], dtype=torch.float64))
            weight_hh.copy_(torch.tensor([row[n:] for row in rows], dtype=torch.float64))
            bias_ih.copy_(torch.tensor([unit.b_ih.data for unit in units], dtype=torch.float64))
            bias_hh.copy_(torch.tensor([unit.b_hh.data for unit in units], dtype=torch.float64))

    def _describe(self):
        extra = f", forget_bias={self.forget_bias}" if self.forget_bias else ""
        return f"{self.input_size}, {self.hidden_size}{extra}"


class LSTM(Module):
    """An LSTM unrolled over a sequence, called as ``RNN`` is: a list of input vectors -> one output per step.

    The same cell runs at every step, h and c starting at zeros (or at ``state``, a pair (h, c)). With
    ``nout``, a linear ``readout`` layer maps each step's h to outputs. Returns one output per step: a
    list of Values (the readout's, or h). ``seed`` and ``forget_bias`` are ``LSTMCell``'s.

    >>> lstm = LSTM(1, 4, nout=1, seed=0)
    >>> outputs = lstm([[0.1], [0.2], [0.3]])
    >>> len(outputs), len(outputs[-1])
    (3, 1)
    """

    def __init__(self, input_size, hidden_size, nout=None, seed=None, forget_bias=0.0):
        rng = random_generator(seed)
        self.cell = LSTMCell(input_size, hidden_size, rng, forget_bias)
        self.readout = None if nout is None else Layer(hidden_size, nout, "linear", "xavier", rng)
        self.input_size, self.hidden_size, self.nout = input_size, hidden_size, nout
        self._label_parameters()

    def __call__(self, sequence, state=None):
        outputs = []
        for x in sequence:
            state = self.cell(x, state)
            h = state[0]
            outputs.append(h if self.readout is None else self.readout(h))
        return outputs

    def to_torch(self):
        """The same network in PyTorch, float64, carrying these weights (needs PyTorch).

        Without a readout: ``torch.nn.LSTM(input_size, hidden_size, batch_first=True)``, which returns
        ``(outputs, (h_n, c_n))``. With one: a module holding that LSTM (``.lstm``) and the readout
        (``.readout``, a ``torch.nn.Sequential`` with one ``Linear``) that returns each step's outputs.
        Either takes one sequence of shape (steps, input_size), ``torch.tensor(sequence)``, or a batch
        of them of shape (N, steps, input_size), ``torch.tensor(X)`` for X as ``fit`` takes it.
        """
        torch = _import_torch()
        lstm = torch.nn.LSTM(self.input_size, self.hidden_size, batch_first=True, dtype=torch.float64)
        self.cell._copy_weights(torch, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
        twin = lstm if self.readout is None else _lstm_with_readout(torch, lstm, to_torch(self.readout))
        return twin.train(self.training)

    def _describe(self):
        extra = f", forget_bias={self.cell.forget_bias}" if self.cell.forget_bias else ""
        return f"{self.input_size}, {self.hidden_size}, nout={self.nout}{extra}"


def _lstm_with_readout(torch, lstm, readout):
    """``LSTM.to_torch``'s twin of an LSTM with a readout (its class defined here, where torch is at hand)."""

    class LSTMWithReadout(torch.nn.Module):
        """A ``torch.nn.LSTM`` and a readout applied to each step's h: forward(X) -> the outputs of every step."""

        def __init__(self):
            super().__init__()
            self.lstm, self.readout = lstm, readout

        def forward(self, X):
            hidden, _ = self.lstm(X)
            return self.readout(hidden)

    return LSTMWithReadout()
