"""The Python inside the playground page: what the page asks, answered by chainrule.

The page's worker (worker.mjs) imports this module under Pyodide and calls its functions with
strings and numbers; each returns its answer as JSON text, or ``{"error": "one line"}`` for input it
refuses. Nothing here knows about the browser except through ``engine.render``, which finds the page's
Graphviz: this module runs the same under CPython, which is how tests/test_playground_module.py
tests it.

Two panels ask:
- the expression panel: ``expression("tanh(w*x + b)", "x=1 w=2 b=-0.5", "w")`` gives f, every
  df/dname, the drawn graph, the chain-rule explanation for one name and the stepper;
- the network panel: ``configure(...)`` builds a network on a 2-D data set, ``train(ms)`` and
  ``step()`` train it, ``view()`` draws it, and ``explain_weight("L0.N1.w0")`` explains one weight's
  gradient on the current example.
"""

import functools
import json
import math
import random
import time

import engine
import nn
from engine import detect_anomaly, draw, explain, no_grad, stepper
from engine.expressions import ExpressionError, evaluate, parse_variables, shorten
from engine.render import RenderError

EXPRESSION_KEY = "f"  # the link's key for the expression (#f=...&x=1): no variable may have this name
DATASETS = ("moons", "circles", "xor", "spiral")  # nn.datasets' two-dimensional, two-class sets
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")  # TensorFlow Playground's four; all in nn.ACTIVATIONS
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
DEFAULTS = {"dataset": "moons", "hidden": "4, 4", "activation": "tanh", "lr": 0.1}
SAMPLES, TEST_SHARE, BATCH_SIZE, SEED = 200, 0.25, 10, 0
MAX_LAYERS, MAX_NEURONS = 6, 8  # a network the page can draw line by line and train in a browser
GRID = 30  # the heat map's cells along each side
MAX_LOSSES = 400  # points on the loss curve; past this, every other one is dropped (the curve keeps its shape)
PADDING = 0.15  # the heat map reaches this share of the data's span beyond its outermost points


def answer(function):
    """Return ``function``'s dict as JSON text; the errors a user can cause become ``{"error": "..."}``."""

    @functools.wraps(function)
    def answered(*args):
        try:
            result = function(*args)
        except (ExpressionError, ValueError, TypeError, FloatingPointError, RenderError) as error:
            result = {"error": " ".join(str(error).split())}  # one line, however the message was wrapped
        return json.dumps(result, allow_nan=False)

    return answered


@answer
def options():
    """What the page offers: the lists of this module, so that they exist once."""
    return {"datasets": DATASETS, "activations": ACTIVATIONS, "learning_rates": LEARNING_RATES,
            "defaults": DEFAULTS, "expression_key": EXPRESSION_KEY}


# -------------------------------------------------------------------- the expression panel


@answer
def expression(text, values, wrt=""):
    """Evaluate ``text`` over ``values`` (``"x=1 w=2"``), run backward, and draw and explain it.

    Read by engine.expressions, the parser of ``python -m engine``. A value or an intermediate result
    that is not finite (a division by zero, an overflow) is refused, naming the operation.
    """
    if not text.strip():
        raise ExpressionError("type an expression, for example tanh(w*x + b)")
    variables = parse_variables(values)
    if EXPRESSION_KEY in variables:
        raise ExpressionError(f"{EXPRESSION_KEY!r} names the expression in the page's link "
                              f"(#{EXPRESSION_KEY}=...); call the variable something else")
    try:
        with detect_anomaly():
            result = evaluate(text, variables)
    except FloatingPointError as error:
        hint = " (a division by zero)" if "'/'" in str(error) or "'1/'" in str(error) else ""
        raise FloatingPointError(f"{shorten(text.strip())} is not a finite number: {error}{hint}") from None
    result.label = EXPRESSION_KEY
    result.backward()
    order = engine.topological_order(result)
    chosen = variables.get(wrt) or next(iter(variables.values()), None)
    shown = {
        "value": _text(result.data),
        "gradients": [f"d{EXPRESSION_KEY}/d{v.label} = {_text(v.grad)}" for v in variables.values()],
        "variables": [[v.label, _short(v.data)] for v in variables.values()],
        "wrt": chosen.label if chosen is not None else "",
        "explanation": "",
    }
    if chosen is not None:
        shown["explanation"] = (str(explain(result, chosen)) if chosen in order else
                                 f"{chosen.label} does not appear in {EXPRESSION_KEY}, so d{EXPRESSION_KEY}/d{chosen.label} = 0")
    try:
        shown["graph"] = draw(result).pipe("svg", encoding="utf-8")
        shown["stepper"] = stepper(result).fragment
    except (ValueError, RenderError) as error:  # a graph too big to draw: the numbers still stand
        shown["graph"] = shown["stepper"] = ""
        shown["graph_error"] = " ".join(str(error).split())
    return shown


def _text(x):
    """Every digit Python keeps (repr), so the page shows what backward computed; inf and nan as words."""
    return repr(x) if math.isfinite(x) else str(x)


def _short(x):
    """A number as a link writes it: 1 rather than 1.0."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


# -------------------------------------------------------------------- the network panel


class Network:
    """A classifier on a 2-D data set, trained by SGD on mini-batches with binary cross-entropy."""

    def __init__(self, dataset, hidden, activation, lr):
        if dataset not in DATASETS:
            raise ValueError(f"unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if not isinstance(lr, (int, float)) or not (0 < lr <= 10):
            raise ValueError(f"the learning rate must be a number in (0, 10], got {lr!r}")
        self.settings = {"dataset": dataset, "hidden": hidden_sizes(hidden), "activation": activation, "lr": lr}
        X, y = _data(dataset)
        self.X, self.X_test, self.y, self.y_test = nn.datasets.train_test_split(X, y, TEST_SHARE, seed=SEED)
        init = "he" if activation == "relu" else "xavier"
        self.model = nn.MLP(2, [*self.settings["hidden"], 1], activation=activation, init=init, seed=SEED)
        self.optimizer = nn.SGD(self.model.parameters(), lr=lr)
        self.rng = random.Random(SEED)
        self.order, self.steps, self.example = [], 0, 0
        self.losses = [(0, *self.losses_now())]  # (step, training loss, test loss)
        edges = [(i, j, k) for i, layer in enumerate(self.model.layers)
                 for j, neuron in enumerate(layer.neurons) for k in range(len(neuron.w))]
        self.weights = {f"L{i}.N{j}.w{k}": self.model.layers[i].neurons[j].w[k] for i, j, k in edges}

    def step(self):
        """One SGD step on the next mini-batch of BATCH_SIZE examples (a fresh shuffle each epoch)."""
        if not self.order:
            self.order = list(range(len(self.X)))
            self.rng.shuffle(self.order)
        batch, self.order = self.order[:BATCH_SIZE], self.order[BATCH_SIZE:]
        loss = nn.bce_with_logits([self.model(self.X[i]) for i in batch], [self.y[i] for i in batch])
        if not math.isfinite(loss.data):
            raise FloatingPointError(f"the loss is {loss.data} at step {self.steps + 1}: lower the learning rate")
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1

    def losses_now(self):
        """The mean loss on the training and on the test examples."""
        with no_grad():
            return tuple(nn.bce_with_logits([self.model(x) for x in X], y).data
                         for X, y in ((self.X, self.y), (self.X_test, self.y_test)))

    def example_loss(self):
        """The loss on the current example alone, after backward: the gradients the view shows."""
        loss = nn.bce_with_logits([self.model(self.X[self.example])], [self.y[self.example]])
        self.optimizer.zero_grad()
        loss.backward()
        loss.label = "loss"
        return loss

    def record_losses(self):
        """Add the losses now to the loss curve (once per step count), thinned to at most MAX_LOSSES points."""
        if self.losses[-1][0] != self.steps:
            self.losses.append((self.steps, *self.losses_now()))
        if len(self.losses) > MAX_LOSSES:
            self.losses = self.losses[:-1:2] + self.losses[-1:]  # the first and the latest stay

    def view(self):
        """The numbers and pictures the panel shows now."""
        self.record_losses()
        self.example_loss()
        graph = nn.draw_network(self.model, self.X[self.example])
        return {"step": self.steps, "loss": self.losses[-1][1], "test_loss": self.losses[-1][2],
                "losses": self.losses, "example": self.example, "network": graph.pipe("svg", encoding="utf-8"),
                **self.boundary(), "settings": {**self.settings, "hidden": ", ".join(map(str, self.settings["hidden"]))}}

    def boundary(self):
        """P(label 1) on a GRID x GRID grid over the data, row by row from the top, and the points."""
        xs, ys = [x for x, _ in self.X + self.X_test], [y for _, y in self.X + self.X_test]
        (x0, x1), (y0, y1) = _padded(min(xs), max(xs)), _padded(min(ys), max(ys))
        cells = []
        with no_grad():
            for r in range(GRID):
                y = y1 - (r + 0.5) * (y1 - y0) / GRID
                cells.append([_sigmoid(self.model((x0 + (c + 0.5) * (x1 - x0) / GRID, y)).data) for c in range(GRID)])
        return {"extent": [x0, x1, y0, y1], "grid": cells,
                "points": [[x, y, label] for (x, y), label in zip(self.X, self.y)],
                "test_points": [[x, y, label] for (x, y), label in zip(self.X_test, self.y_test)]}

    def explain_weight(self, name):
        """The chain rule for d loss / d weight on the current example, path by path."""
        if name not in self.weights:
            raise ValueError(f"no weight named {shorten(name)!r}; the weights are L0.N0.w0 to {list(self.weights)[-1]}")
        weight = self.weights[name]
        loss = self.example_loss()
        x, label = self.X[self.example], self.y[self.example]
        return {"weight": name, "explanation": str(explain(loss, weight)), "grad": _text(weight.grad),
                "example": f"example {self.example}: x = ({x[0]:.3f}, {x[1]:.3f}), label {label}"}


def hidden_sizes(text):
    """ "4, 4" -> [4, 4]: the hidden layers' sizes, at most MAX_LAYERS of 1 to MAX_NEURONS neurons each."""
    parts = [part for part in str(text).replace(",", " ").split()]
    try:
        sizes = [int(part) for part in parts]
    except ValueError:
        raise ValueError(f"hidden layers are numbers of neurons such as '4, 4', got {shorten(str(text))!r}") from None
    if len(sizes) > MAX_LAYERS or not all(1 <= size <= MAX_NEURONS for size in sizes):
        raise ValueError(f"up to {MAX_LAYERS} hidden layers of 1 to {MAX_NEURONS} neurons each, got {shorten(str(text))!r}")
    return sizes


def _data(dataset):
    if dataset == "spiral":
        return nn.datasets.spiral(SAMPLES, classes=2, noise=0.1, seed=SEED)
    return getattr(nn.datasets, dataset)(SAMPLES, seed=SEED)


def _padded(low, high):
    margin = PADDING * ((high - low) or 1.0)
    return low - margin, high + margin


def _sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


network = None  # the one network the panel shows


@answer
def configure(dataset, hidden, activation, lr):
    """Build a new, untrained network; the answer is its view."""
    global network
    network = Network(dataset, hidden, activation, float(lr))
    return network.view()


@answer
def train(milliseconds, with_view=True):
    """Train for about ``milliseconds`` (at least one step), then answer the view (or only the step count)."""
    deadline = time.perf_counter() + milliseconds / 1000
    network.step()
    while time.perf_counter() < deadline:
        network.step()
    network.record_losses()  # a point on the curve per slice, whether or not the view is drawn
    return network.view() if with_view else {"step": network.steps, "loss": network.losses[-1][1]}


@answer
def view():
    return network.view()


@answer
def pick_example(index):
    """Make training example ``index`` the one whose gradients the view shows and explains."""
    if not isinstance(index, int) or not 0 <= index < len(network.X):
        raise ValueError(f"an example is a number from 0 to {len(network.X) - 1}, got {index!r}")
    network.example = index
    return network.view()


@answer
def explain_weight(name):
    return network.explain_weight(name)
