"""The command line of ``python -m nn train``: its options, their limits, and what an option left out becomes.

``build_parser`` makes the parser; the types below check each option as it is read (a number out of
range is a one-line error naming the option), and ``nn.cli`` runs what was asked for.
"""

import argparse
import math

from engine.cli import OneLineErrorParser
from nn.layers import ACTIVATIONS

# -------------------------------------------------------------------- choices and recipes

DATASETS = ("moons", "circles", "spiral", "xor", "digits")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES = ("cosine", "linear", "constant")

# What each data set uses for the options not given: enough to learn it well in under a minute.
RECIPES = {
    "moons": {"samples": 200, "hidden": (16, 16), "epochs": 50},
    "circles": {"samples": 200, "hidden": (16, 16), "epochs": 50},
    "spiral": {"samples": 300, "hidden": (16, 16), "epochs": 100},
    "xor": {"samples": 200, "hidden": (16, 16), "epochs": 50},
    "digits": {"samples": None, "hidden": (32,), "epochs": 10},
}
LEARNING_RATES = {"sgd": 0.1, "momentum": 0.05, "adam": 0.02, "rmsprop": 0.01}

# --model cnn (digits only): Conv 3x3 with 8 channels, max pooling 2, a linear layer to the 10 classes.
# Its recipe reaches about 98% test accuracy in about a minute (notebook 10 shows how it learns).
MODELS = ("mlp", "cnn")
CNN_CHANNELS = 8
CNN_RECIPE = {"epochs": 8, "batch_size": 16, "adam_lr": 0.03}

# How large a run may be. Every weight is a Python object and each example's forward pass builds a
# graph over all of them, so the cost grows as samples x parameters x epochs: the digits recipe (1,797
# images, 2,410 parameters) takes under a minute, a run at these limits hours. Past them a run would
# not finish, or would fill the memory first (--hidden 1000000000 asks for five billion Values), so
# they are refused before anything is built.
MAX_SAMPLES = 100_000
MAX_PARAMETERS = 1_000_000

# -------------------------------------------------------------------- reading the options


def layer_sizes(text):
    """'16,16' -> (16, 16); 'none' -> () (no hidden layer: a linear classifier)."""
    if text.strip().lower() == "none":
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected layer sizes >= 1 separated by commas (e.g. 16,16) or none, "
                                         f"got {text!r}")
    return sizes


def _whole_number(smallest, largest=None):
    wanted = f">= {smallest}" if largest is None else f"from {smallest} to {largest:,}"

    def whole_number(text):
        try:
            n = int(text)
        except ValueError:
            n = None
        if n is None or n < smallest or (largest is not None and n > largest):
            raise argparse.ArgumentTypeError(f"expected a whole number {wanted}, got {text!r}")
        return n

    return whole_number


def _number(low, high=math.inf, low_included=False):
    """A type for argparse: a finite float above ``low`` (or equal to it, if ``low_included``) and below ``high``."""
    if high == math.inf:
        wanted = f"a finite number {'>=' if low_included else '>'} {low:g}"
    else:
        wanted = f"a number in {'[' if low_included else '('}{low:g}, {high:g})"

    def number(text):
        try:
            x = float(text)
        except ValueError:
            x = math.nan
        if not (low <= x if low_included else low < x) or not x < high:  # also refuses nan
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return x

    return number


def _batch_size(text):
    return None if text == "full" else _whole_number(1)(text)


def build_parser():
    parser = OneLineErrorParser(
        prog="python -m nn",
        description="Train chainrule's neural networks from the command line.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)
    train = commands.add_parser(
        "train",
        help="train an MLP classifier on a built-in data set",
        description="Train an MLP classifier with softmax cross-entropy on a seeded, stratified train/test "
        "split; write the training curves, the decision boundary (2-D sets) or confusion matrix (digits) and "
        "the model file; end with the line 'test accuracy: ...'. Options left out take the data set's "
        "recipe (see --samples, --hidden, --epochs).",
        epilog="example: python -m nn train --dataset digits --optimizer adam --lr 0.02 --out out/",
    )
    train.set_defaults(command_parser=train)  # so that errors found later name "python -m nn train"
    train.add_argument("--dataset", choices=DATASETS, default="moons",
                       help="what to learn: two moons, two circles, a three-armed spiral, xor (points in a square, "
                       "class 1 where exactly one coordinate is positive), or the 8x8 handwritten digits "
                       "(default: moons)")
    train.add_argument("--model", choices=MODELS, default="mlp",
                       help="mlp, or cnn for a small convolutional network on the digits' 8x8 images: "
                       f"Conv2d(1, {CNN_CHANNELS}, 3), MaxPool2d(2), Flatten, a linear layer (default: mlp)")
    train.add_argument("--samples", type=_whole_number(10, MAX_SAMPLES), metavar="N",
                       help=f"how many points to generate, at most {MAX_SAMPLES:,} (moons, circles, xor: 200; "
                       "spiral: 300; not for digits)")
    train.add_argument("--test-fraction", type=_number(0.0, 1.0, low_included=True), default=0.25, metavar="F",
                       help="the share of examples held out for testing (default: 0.25); 0 trains on all of "
                       "them and reports the training accuracy")
    train.add_argument("--hidden", type=layer_sizes, metavar="SIZES",
                       help="hidden layer sizes, e.g. 16,16 or 64, or none for a linear classifier "
                       f"(default: 16,16; digits: 32); the network may have at most {MAX_PARAMETERS:,} parameters")
    train.add_argument("--activation", choices=list(ACTIVATIONS), default="relu",
                       help="the hidden layers' activation, one of nn's activations (default: relu); relu and "
                       "leaky_relu layers start from He's initialisation, the others from Xavier's")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam",
                       help="sgd, sgd with momentum 0.9, adam, or rmsprop (default: adam)")
    train.add_argument("--lr", type=_number(0.0), metavar="RATE",
                       help="the learning rate at the start (default: sgd 0.1, momentum 0.05, adam 0.02, rmsprop 0.01)")
    train.add_argument("--schedule", choices=SCHEDULES, default="cosine",
                       help="how the learning rate changes: a half cosine down to 0, a straight line down to "
                       "lr/10, or constant (default: cosine)")
    train.add_argument("--epochs", type=_whole_number(1), metavar="N",
                       help="passes over the training data (default: 50; spiral: 100; digits: 10)")
    train.add_argument("--batch-size", type=_batch_size, metavar="N",
                       help="examples per step, or full for full-batch gradient descent (default: 32; cnn: "
                       f"{CNN_RECIPE['batch_size']})")
    train.add_argument("--l2", type=_number(0.0, low_included=True), default=0.0, metavar="ALPHA",
                       help="add ALPHA * (sum of squared weights) to the loss (default: 0)")
    train.add_argument("--patience", type=_whole_number(0), default=0, metavar="N",
                       help="stop early once the training loss has not improved for N epochs (default: 0, never: "
                       "train all the epochs)")
    train.add_argument("--seed", type=int, default=0,
                       help="one seed for the data, the split, the initial weights and the batch order (default: 0)")
    train.add_argument("--out", default="out", metavar="DIR",
                       help="the directory to write the pictures and the model to (default: out)")
    return parser
