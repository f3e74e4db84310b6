"""W1 and W2: the same multilayer perceptron in several engines, started from the same weights.

- ``chainrule``: ``nn.MLP`` with nn's losses and ``SGD``, written the way a user writes it.
- ``chainrule-own`` (W1 only): a learner's own MLP on the public engine API, nothing from nn:
  lists of ``engine.Value``, ``engine.dots`` for a layer's weighted sums, ``.relu()``,
  ``engine.sum`` and a plain SGD loop: what the engine gives someone who writes their own network.
- ``micrograd``: micrograd 0.1.0's own ``MLP``, its step exactly as in micrograd's demo notebook.
- ``torch-scalar``: PyTorch with one 0-d tensor per scalar, neurons built as micrograd builds them:
  what a general tensor library costs when it is used one number at a time.
- ``torch-vectorised``: ``torch.nn.Linear`` layers in float64 on whole batches: what a user picks
  once a model outgrows a scalar engine.

Every engine copies chainrule's initial weights, and ``check_agreement`` runs each once and demands
the same losses and gradients to 1e-12 before anything is timed: an engine that is fast because it
computes something else would make the table meaningless.
"""

import itertools
import math
import random

import engine
import nn

# micrograd's demo regularises with 1e-4 * sum(p^2).
L2_ALPHA = 1e-4


def weights_of(model):
    """A chainrule MLP's weights as plain numbers, ``[layer][neuron] = (weights, bias)``, to copy into other engines."""
    return [[([w.data for w in neuron.w], neuron.b.data) for neuron in layer.neurons] for layer in model.layers]


def copy_weights(model, weights):
    """Set the weights of an MLP, chainrule's or micrograd's (both have ``layers[i].neurons[j].w`` and ``.b``)."""
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, (ws, b) in zip(layer.neurons, layer_weights):
            for p, w in zip(neuron.w, ws):
                p.data = w
            neuron.b.data = b
    return model


def mlp_gradients(model):
    """An MLP's gradients, chainrule's or micrograd's, in the order of ``_flat``."""
    return _flat([[([w.grad for w in n.w], n.b.grad) for n in layer.neurons] for layer in model.layers])


def _shape(weights):
    """(inputs, [neurons per layer]) of the network that ``weights`` belong to."""
    return len(weights[0][0][0]), [len(layer) for layer in weights]


def _flat(groups):
    """``[layer][neuron] = (weights, bias)`` as w, ..., w, b neuron by neuron: the order gradients are compared in."""
    return [x for layer in groups for weights, bias in layer for x in (*weights, bias)]


# -------------------------------------------------------------------- chainrule


class Chainrule:
    """chainrule as its users write it: nn.MLP, nn's losses, nn.SGD."""

    name = "chainrule"

    def __init__(self, weights, X, y, lr):
        nin, sizes = _shape(weights)
        self.model = copy_weights(nn.MLP(nin, sizes), weights)  # ReLU hidden layers, a linear last layer
        self.X, self.y = X, y  # inputs stay plain floats: a first layer's inputs are constants
        self.parameters = self.model.parameters()
        self.optimizer = nn.SGD(self.parameters, lr=lr)

    def moons_step(self):
        """One step of micrograd's demo: hinge loss + L2 over all points, backward, SGD. Returns the loss."""
        scores = [self.model(x) for x in self.X]
        loss = nn.hinge_loss(scores, self.y) + nn.l2_penalty(self.parameters, L2_ALPHA)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.data

    def digits_sample(self, i):
        """Forward, cross-entropy and backward for sample i; gradients accumulate. Returns the loss."""
        loss = nn.cross_entropy(self.model(self.X[i]), self.y[i])
        loss.backward()
        return loss.data

    def gradients(self):
        return mlp_gradients(self.model)


class OwnMLP:
    """An MLP as a learner writes it after reading ``engine/value.py``, with nothing from nn.

    A layer is a list of weight rows (one list of Values per neuron) and a list of biases;
    ``engine.dots`` makes the layer's weighted sums, one dot node per neuron; every layer but the
    last applies ReLU. Weights start as micrograd's do, uniform in [-1, 1]; biases at 0.
    """

    def __init__(self, nin, sizes):
        fan_ins = [nin, *sizes]
        self.layers = [
            ([[engine.Value(random.uniform(-1, 1)) for _ in range(fan_in)] for _ in range(size)],
             [engine.Value(0.0) for _ in range(size)])
            for fan_in, size in zip(fan_ins, sizes)
        ]

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, (rows, biases) in enumerate(self.layers):
            sums = engine.dots(rows, x, biases)
            x = sums if i == last else [s.relu() for s in sums]
        return x

    def parameters(self):
        """Neuron by neuron, its weights then its bias."""
        return [p for rows, biases in self.layers for row, b in zip(rows, biases) for p in (*row, b)]


class ChainruleOwn:
    """A learner's own MLP (``OwnMLP``) with the hinge loss, L2 and SGD written out on the public engine API."""

    name = "chainrule-own"

    def __init__(self, weights, X, y, lr):
        nin, sizes = _shape(weights)
        self.model = OwnMLP(nin, sizes)
        for (rows, biases), layer_weights in zip(self.model.layers, weights):
            for row, bias, (ws, b) in zip(rows, biases, layer_weights):
                for p, w in zip(row, ws):
                    p.data = w
                bias.data = b
        self.X, self.y, self.lr = X, y, lr
        self.parameters = self.model.parameters()

    def moons_step(self):
        """micrograd's demo step, the learner's way. Gradients are zeroed before backward, as micrograd's
        demo does, rather than in the update loop, so that they can still be read for the agreement check."""
        params = self.parameters
        scores = [self.model(x)[0] for x in self.X]
        data_loss = engine.sum((1 - y * score).relu() for y, score in zip(self.y, scores)) / len(scores)
        loss = data_loss + L2_ALPHA * engine.sum(p * p for p in params)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= self.lr * p.grad
        return loss.data

    def gradients(self):
        return [p.grad for p in self.parameters]


# -------------------------------------------------------------------- micrograd


def micrograd_exp(x):
    """e^x for micrograd 0.1.0, which lacks it; written in micrograd's style (a closure per node)."""
    from micrograd.engine import Value

    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    return out


def micrograd_log(x):
    """ln x for micrograd 0.1.0, which lacks it; written in micrograd's style (a closure per node)."""
    from micrograd.engine import Value

    out = Value(math.log(x.data), (x,), "log")

    def _backward():
        x.grad += out.grad / x.data

    out._backward = _backward
    return out


class Micrograd:
    """micrograd 0.1.0's MLP (its last layer is linear) with the loss and update of micrograd's demo."""

    name = "micrograd"

    def __init__(self, weights, X, y, lr):
        from micrograd.nn import MLP

        nin, sizes = _shape(weights)
        self.model = copy_weights(MLP(nin, sizes), weights)  # micrograd makes the last layer linear
        self.X, self.y, self.lr = X, y, lr

    def moons_step(self):
        """micrograd's demo step, line for line (without its accuracy count, which no other engine does)."""
        from micrograd.engine import Value

        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = L2_ALPHA * sum((p * p for p in self.model.parameters()))
        total_loss = data_loss + reg_loss
        self.model.zero_grad()
        total_loss.backward()
        for p in self.model.parameters():
            p.data -= self.lr * p.grad
        return total_loss.data

    def digits_sample(self, i):
        from micrograd.engine import Value

        logits = self.model(list(map(Value, self.X[i])))
        # log-sum-exp shifted by the largest score, as chainrule's cross_entropy computes it
        top = max(z.data for z in logits)
        shifted = [z - top for z in logits]
        loss = micrograd_log(sum(micrograd_exp(s) for s in shifted)) - shifted[self.y[i]]
        loss.backward()
        return loss.data

    def gradients(self):
        return mlp_gradients(self.model)


# -------------------------------------------------------------------- PyTorch


def _torch():
    """PyTorch, on one thread: these tensors are too small to split, and on a busy 2-core machine a second
    thread spinning for its share made torch-vectorised's step 100 times slower (0.5 ms against 52 ms)."""
    import torch

    torch.set_num_threads(1)
    return torch


class TorchScalar:
    """PyTorch at scalar granularity: every weight, input and intermediate is its own 0-d float64 tensor."""

    name = "torch-scalar"

    def __init__(self, weights, X, y, lr):
        torch = _torch()
        self.torch = torch

        def leaf(v):
            return torch.tensor(v, dtype=torch.float64, requires_grad=True)

        self.layers = [[([leaf(w) for w in ws], leaf(b)) for ws, b in layer] for layer in weights]
        self.parameters = _flat(self.layers)
        self.optimizer = torch.optim.SGD(self.parameters, lr=lr)
        self.X = [[torch.tensor(v, dtype=torch.float64) for v in row] for row in X]
        self.y = y

    def forward(self, x):
        """micrograd's neuron, b + w1 x1 + ... + wn xn, one tensor op per scalar op; ReLU but on the last layer."""
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            sums = [sum((w * xi for w, xi in zip(ws, x)), b) for ws, b in layer]
            x = sums if i == last else [s.relu() for s in sums]
        return x

    def moons_step(self):
        scores = [self.forward(x)[0] for x in self.X]
        losses = [(1 - yi * score).relu() for yi, score in zip(self.y, scores)]
        loss = sum(losses) / len(losses) + L2_ALPHA * sum(p * p for p in self.parameters)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def digits_sample(self, i):
        logits = self.forward(self.X[i])
        top = max(z.item() for z in logits)
        shifted = [z - top for z in logits]
        loss = sum(s.exp() for s in shifted).log() - shifted[self.y[i]]
        loss.backward()
        return loss.item()

    def gradients(self):
        return [p.grad.item() for p in self.parameters]


class TorchVectorised:
    """PyTorch as its users write it: float64 ``torch.nn.Linear`` layers with ReLU between, whole batches at once."""

    name = "torch-vectorised"

    def __init__(self, weights, X, y, lr):
        torch = _torch()
        self.torch = torch
        self.linears = []
        modules = []
        for i, layer in enumerate(weights):
            linear = torch.nn.Linear(len(layer[0][0]), len(layer), dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor([ws for ws, _ in layer], dtype=torch.float64))
                linear.bias.copy_(torch.tensor([b for _, b in layer], dtype=torch.float64))
            self.linears.append(linear)
            modules += [linear] if i == len(weights) - 1 else [linear, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*modules)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.X = torch.tensor(X, dtype=torch.float64)
        self.labels = torch.tensor(y, dtype=torch.float64)  # moons: -1 or 1
        self.classes = torch.tensor(y, dtype=torch.long)  # digits: 0 to 9

    def moons_step(self):
        torch = self.torch
        scores = self.model(self.X)[:, 0]
        penalty = sum((p * p).sum() for p in self.model.parameters())
        loss = torch.relu(1 - self.labels * scores).mean() + L2_ALPHA * penalty
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def digits_sample(self, i):
        logits = self.model(self.X[i : i + 1])
        loss = self.torch.nn.functional.cross_entropy(logits, self.classes[i : i + 1])
        loss.backward()
        return loss.item()

    def gradients(self):
        return _flat(
            [list(zip(linear.weight.grad.tolist(), linear.bias.grad.tolist())) for linear in self.linears]
        )


# -------------------------------------------------------------------- building and checking


ENGINES = {engine.name: engine for engine in (Chainrule, ChainruleOwn, Micrograd, TorchScalar, TorchVectorised)}


def running(method):
    """The names of the engines that take part in a workload: those with its method, "moons_step" (W1) or
    "digits_sample" (W2). The learner's own MLP has only the first."""
    return [name for name, engine in ENGINES.items() if hasattr(engine, method)]


def engines(weights, X, y, lr, names=None):
    """The engines called ``names`` (default: all), each holding its own copy of ``weights`` and the data X, y."""
    return [ENGINES[name](weights, X, y, lr) for name in (ENGINES if names is None else names)]


def moons_workload(points=100, sizes=(16, 16, 1), lr=0.01, seed=0):
    """W1 as plain data, ``(weights, X, labels, lr)``: micrograd's demo network and ``points`` two-moons points.

    The weights are those of chainrule's ``MLP(2, sizes, init="uniform")``: micrograd's U(-1, 1).
    """
    X, y = nn.datasets.moons(points, noise=0.1, seed=seed)
    labels = [2 * t - 1 for t in y]  # the hinge loss wants -1 / 1
    return weights_of(nn.MLP(2, list(sizes), init="uniform", seed=seed)), X, labels, lr


def digits_workload(samples=200, sizes=(32, 10), seed=0):
    """W2 as plain data, ``(weights, X, y, lr)``: MLP(64, sizes) and the first ``samples`` digits (no step is taken)."""
    X, y = nn.datasets.digits()
    return weights_of(nn.MLP(64, list(sizes), seed=seed)), X[:samples], y[:samples], 0.01


def one_step(engine):
    """What W1's agreement check runs: one training step; returns [loss]."""
    return [engine.moons_step()]


def first_samples(engine, count=3):
    """What W2's agreement check runs: the first ``count`` samples, gradients accumulating; returns their losses."""
    return [engine.digits_sample(i) for i in range(count)]


class EnginesDisagree(AssertionError):
    """Two engines computed different losses or gradients from the same weights and data."""


def relative_error(values, reference):
    """max |v - r| over the largest |r|: a normwise relative error, which stays meaningful for gradients near 0."""
    if len(values) != len(reference):
        raise EnginesDisagree(f"{len(values)} numbers against {len(reference)}: the engines hold different networks")
    scale = max((abs(r) for r in reference), default=0.0) or 1.0
    return max((abs(v - r) for v, r in zip(values, reference)), default=0.0) / scale


def check_agreement(engines, run, tolerance=1e-12):
    """Run ``run(engine)`` (returning a list of losses) once per engine and compare losses and gradients.

    Returns:
        {engine name: largest relative error against the first engine} (the first engine's own is 0).

    Raises:
        EnginesDisagree: naming the engines and the sizes of the differences, if any exceeds ``tolerance``.
    """
    reference, others = engines[0], engines[1:]
    ref_losses, ref_gradients = run(reference), reference.gradients()
    if not all(map(math.isfinite, ref_losses + ref_gradients)):
        raise EnginesDisagree(f"{reference.name} gave a loss or gradient that is not finite: losses {ref_losses}")
    errors = {reference.name: 0.0}
    for other in others:
        losses, gradients = run(other), other.gradients()
        loss_error = relative_error(losses, ref_losses)
        gradient_error = relative_error(gradients, ref_gradients)
        if not (loss_error <= tolerance and gradient_error <= tolerance):  # "not <=" also catches nan
            raise EnginesDisagree(
                f"{other.name} and {reference.name} disagree from the same weights and data: "
                f"losses {losses[:3]} against {ref_losses[:3]} (relative error {loss_error:.1e}), "
                f"gradients differ by {gradient_error:.1e} (relative), more than the {tolerance:.0e} allowed. "
                f"The engines do not compute the same thing, so timing them side by side would mislead: "
                f"fix the workload in benchmarks/networks.py before trusting any number."
            )
        errors[other.name] = max(loss_error, gradient_error)
    return errors


def step_work(name, weights, X, y, lr):
    """``work(n)`` for the timing workers: n training steps on the moons (W1) by the engine called ``name``."""
    engine = ENGINES[name](weights, X, y, lr)

    def work(n):
        for _ in range(n):
            engine.moons_step()

    return work


def sample_work(name, weights, X, y, lr):
    """``work(n)`` for the timing workers: forward+backward of the next n digits, round and round (W2)."""
    engine = ENGINES[name](weights, X, y, lr)
    indices = itertools.cycle(range(len(X)))

    def work(n):
        for _ in range(n):
            engine.digits_sample(next(indices))

    return work
