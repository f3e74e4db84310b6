"""chainrule's main demo: train a small network on two moons, then look inside it.

    python demos/main.py [OUT_DIR]            (default: out/)

Trains an MLP(2, [6, 6, 1]) the way micrograd's demo does (hinge loss plus L2, full-batch SGD with
a learning rate falling in a straight line) to 100% training accuracy, then writes:

    training.png           loss, accuracy, learning rate and gradient norms, epoch by epoch
    decision_boundary.png  which side of the boundary each point of the plane falls on
    network.svg            the trained network on one new point: a circle per neuron, a line per weight,
                           as wide as that point's gradient; hover for every number
    neuron.svg             one neuron, tanh(x1*w1 + x2*w2 + b), operation by operation, with its gradients
    neuron_stepper.html    backward through the same neuron, a node per click
    explanation.txt        the chain rule for one weight's gradient, path by path

The pictures need a renderer: Graphviz's dot, or graphviz-pure, which pip installs with chainrule.
Without either, the demo says so in one line and writes the rest.

The network is smaller than micrograd's MLP(2, [16, 16, 1]): with 6 and 6 neurons every line of
its picture can be followed, and each first-layer weight's gradient is a sum over 6 paths that the
explanation prints in full. Everything is seeded: every run writes the same numbers.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no window

from engine import Value, explain, no_grad, stepper
from engine.draw import draw, write
from engine.render import GraphvizNotFound, renderer
from nn import MLP, SGD, datasets, draw_network, evaluate, fit, hinge_loss, linear_decay
from nn.figures import decision_boundary_figure, save_figure

EPOCHS = 200
PICTURES = ("network.svg", "neuron.svg", "neuron_stepper.html")  # what needs a renderer
SEED = 0
NAMES = (
    "zL_j is the weighted sum of neuron j in layer L (layers.L.neurons.j), aL_j its ReLU;\n"
    "margin = label * score; loss = relu(1 - margin)."
)


def train():
    """The model, its History and the data: micrograd's moons recipe on a 6-6 network."""
    X, y = datasets.moons(100, noise=0.1, seed=SEED)
    labels = [2 * t - 1 for t in y]  # the hinge loss wants -1 / 1
    model = MLP(2, [6, 6, 1], init="uniform", seed=SEED)
    history = fit(
        model,
        X,
        labels,
        hinge_loss,
        SGD(model.parameters(), lr=1.0),
        epochs=EPOCHS,
        batch_size=None,  # every step sees all 100 points
        l2=1e-4,
        schedule=linear_decay(1.0, 0.1, EPOCHS),
        patience=None,
        progress=None,  # a bar in a terminal or notebook, nothing in a log file
    )
    return model, history, X, labels


def hardest_new_point(model):
    """A point the model has not seen, the one nearest its decision boundary, with its label (-1 or 1).

    Trained, the network puts every training point at a margin of 1 or more, where the hinge loss, and
    so every gradient, is 0; near the boundary the loss is positive and the gradients have something to show.
    """
    X, y = datasets.moons(100, noise=0.1, seed=SEED + 1)
    with no_grad():
        i = min(range(len(X)), key=lambda i: abs(model(X[i]).data))
    return X[i], 2 * y[i] - 1


def one_example(model, x, label):
    """The hinge loss max(0, 1 - label * score) of one example, after its backward pass.

    The forward pass runs layer by layer to name what each neuron computes, as a textbook would:
    z0_3 is the weighted sum of neuron 3 of layer 0 (``layers.0.neurons.3``), a0_3 its ReLU.
    """
    model.zero_grad()  # fit leaves the last batch's gradients behind
    values = x
    for i, layer in enumerate(model.layers):
        values = layer(values)
        for j, value in enumerate(values):
            if layer.activation == "linear":
                value.label = f"z{i}_{j}"
            else:
                value.label, value.parents[0].label = f"a{i}_{j}", f"z{i}_{j}"
    (score,) = values
    score.label = "score"
    # hinge_loss([score], [label]) written out: with its mean over one example gone, every path from
    # the loss to a first-layer weight is short enough for explain() to print in full.
    margin = label * score
    margin.label = "margin"
    loss = (1 - margin).relu()
    loss.label = "loss"
    loss.backward()
    return loss


def neuron():
    """A single neuron with two inputs, tanh(x1*w1 + x2*w2 + b), every node labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")  # chosen so that the output is tanh(0.8814) = 0.7071
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python demos/main.py",
        description="Train a small network on two moons, then draw, step through and explain its gradients.",
    )
    parser.add_argument("out", nargs="?", default="out", metavar="OUT_DIR",
                        help="the directory to write the pictures to (default: out)")
    out = parser.parse_args(argv).out
    os.makedirs(out, exist_ok=True)
    written = []  # (path, what it shows)

    try:
        renderer()
        note = ""
    except GraphvizNotFound as missing:  # one line, and every file that needs no renderer
        note = f"{missing} Without one, the pictures {', '.join(PICTURES)} were not written."

    model, history, X, labels = train()
    _, accuracy = evaluate(model, X, labels, hinge_loss)
    x, label = hardest_new_point(model)

    path = os.path.join(out, "training.png")
    figure = history.plot()
    figure.suptitle(f"{model} on two moons: hinge loss + L2, SGD")
    written.append((save_figure(figure, path), "loss, accuracy, learning rate and gradient norms per epoch"))

    def scores(point):  # one score s; as two class scores (-s, s), the boundary is s = 0
        s = model(point).data
        return (-s, s)

    path = os.path.join(out, "decision_boundary.png")
    right = round(accuracy * len(X))
    title = f"{model} on two moons: {right} of {len(X)} training points right"
    figure = decision_boundary_figure(scores, X, [(t + 1) // 2 for t in labels], title)
    where = "explained in explanation.txt" if note else "drawn in network.svg, explained in explanation.txt"
    figure.axes[0].scatter(*x, marker="*", s=250, color="gold", edgecolors="black", zorder=3, label=where)
    figure.axes[0].legend(loc="best", fontsize=8)
    written.append((save_figure(figure, path), "the class the network gives each point of the plane"))

    loss = one_example(model, x, label)
    # The first-layer weight whose gradient is largest: its chain rule runs through the whole network.
    first_layer_weights = [w for n in model.layers[0].neurons for w in n.w]
    weight = max(first_layer_weights, key=lambda w: abs(w.grad))
    weight_name, gradient = weight.label, weight.grad
    explanation = str(explain(loss, weight))
    example = f"x = ({x[0]:.3f}, {x[1]:.3f}), label {label:+d}, loss {loss.data:.4f}"

    if not note:
        path = write(draw_network(model, x), os.path.join(out, "network.svg"))
        written.append((path, f"the network on one new point, each weight as wide as its grad: {example}"))
        lecture = neuron()
        lecture.backward()
        path = write(draw(lecture), os.path.join(out, "neuron.svg"))
        written.append((path, "one neuron, tanh(x1*w1 + x2*w2 + b), operation by operation"))
        path = stepper(neuron()).save(os.path.join(out, "neuron_stepper.html"))
        written.append((path, "backward through the same neuron, a step per click"))

    heading = f"d loss / d {weight_name} for the point {example},\nby the chain rule.\n{NAMES}"
    path = os.path.join(out, "explanation.txt")
    with open(path, "w", encoding="utf-8") as file:
        file.write(f"{heading}\n\n{explanation}\n")
    written.append((path, f"d loss / d {weight_name} = {gradient:.4g}, path by path"))

    print(f"\n{heading}\n\n{explanation}\n")
    width = max(len(path) for path, _ in written)
    for path, what in written:
        print(f"wrote {path:<{width}}  {what}")
    if note:
        print(f"note: {note}")
    print(f"training accuracy: {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
