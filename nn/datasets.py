"""Small data sets to train on, and helpers to split and batch them. Pure Python, no numpy.

Every function returns ``(X, y)``: ``X`` a list of rows, each a tuple of floats (the form a
layer takes fastest), and ``y`` a list of int labels. The generated sets take a ``seed``
and draw from their own ``random.Random(seed)``: the same seed gives the same data, and the global
random state is never touched.
"""

import csv
import functools
import gzip
import math
import random
from importlib import resources

from nn.checks import paired, whole_number

# -------------------------------------------------------------------- generated two-dimensional sets


def moons(n_samples=100, noise=0.1, seed=0):
    """Two interleaving half circles, label 0 (upper) and 1 (lower): micrograd's demo data.

    The same construction as scikit-learn's ``make_moons``: points spaced evenly along each half
    circle, then Gaussian noise of standard deviation ``noise`` on both coordinates, then shuffled.

    >>> X, y = moons(100, noise=0.1, seed=0)
    >>> len(X), sorted(set(y)), len(X[0])
    (100, [0, 1], 2)
    """
    n_samples = whole_number(n_samples, "n_samples", 2)
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, n_upper)]
    lower = [(1.0 - math.cos(t), 0.5 - math.sin(t)) for t in _linspace(0.0, math.pi, n_lower)]
    return _noisy_shuffled(upper + lower, [0] * n_upper + [1] * n_lower, noise, rng)


def circles(n_samples=100, noise=0.05, factor=0.5, seed=0):
    """A small circle (label 1) inside a large one (label 0); no straight line separates them.

    >>> X, y = circles(100, seed=0)
    >>> len(X), sum(y)
    (100, 50)
    """
    n_samples = whole_number(n_samples, "n_samples", 2)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, 2 * math.pi, n_outer, endpoint=False)]
    inner = [(factor * math.cos(t), factor * math.sin(t)) for t in _linspace(0.0, 2 * math.pi, n_inner, endpoint=False)]
    return _noisy_shuffled(outer + inner, [0] * n_outer + [1] * n_inner, noise, rng)


def spiral(n_samples=300, classes=3, noise=0.2, seed=0):
    """``classes`` arms of a spiral, one per label (the CS231n classic): needs a hidden layer or two.

    Arm k's points run from the centre outwards at radius r in [0, 1] and angle 4 (k + r) plus
    Gaussian noise of standard deviation ``noise``.

    >>> X, y = spiral(300, classes=3, seed=0)
    >>> len(X), [y.count(k) for k in range(3)]
    (300, [100, 100, 100])
    """
    n_samples = whole_number(n_samples, "n_samples", 1)
    classes = whole_number(classes, "classes", 2)
    rng = random.Random(seed)
    X, y = [], []
    for k in range(classes):
        n = n_samples // classes + (k < n_samples % classes)
        for r in _linspace(0.0, 1.0, n):
            angle = 4.0 * (k + r) + rng.gauss(0.0, noise)
            X.append((r * math.sin(angle), r * math.cos(angle)))
            y.append(k)
    return _shuffled(X, y, rng)


def xor(n_samples=200, seed=0):
    """Points uniform in the square [-1, 1]^2, label 1 where exactly one coordinate is positive.

    The problem a single neuron cannot solve (Minsky and Papert) and one hidden layer can.

    >>> X, y = xor(4, seed=0)
    >>> all(label == ((a > 0) != (b > 0)) for (a, b), label in zip(X, y))
    True
    """
    n_samples = whole_number(n_samples, "n_samples", 1)
    rng = random.Random(seed)
    X = [(rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)) for _ in range(n_samples)]
    return X, [int((a > 0.0) != (b > 0.0)) for a, b in X]


# -------------------------------------------------------------------- handwritten digits


def digits(scaled=True):
    """The 8x8 handwritten digits: 1,797 images of the digits 0 to 9, 64 pixels each.

    The test set of the UCI "Optical Recognition of Handwritten Digits" data (E. Alpaydin and
    C. Kaynak, 1998; licence CC BY 4.0), as scikit-learn bundles it; see ``nn/data/README.md``.
    Each pixel counts the ink in a 4x4 block, 0 to 16; ``scaled=True`` divides by 16 so inputs are
    in [0, 1], which keeps the first layer's weighted sums in a range where training is easy.

    >>> X, y = digits()
    >>> len(X), len(X[0]), sorted(set(y)) == list(range(10)), max(max(row) for row in X)
    (1797, 64, True, 1.0)
    """
    X, y = _digits_file()
    if scaled:
        X = [tuple(pixel / 16.0 for pixel in row) for row in X]
    return list(X), list(y)


@functools.lru_cache(maxsize=1)
def _digits_file():
    """The rows of ``data/digits.csv.gz`` (64 pixel counts, then the label), read once."""
    with resources.files("nn").joinpath("data/digits.csv.gz").open("rb") as raw:
        with gzip.open(raw, "rt", newline="") as text:
            rows = [[float(cell) for cell in row] for row in csv.reader(text)]
    return tuple(tuple(row[:-1]) for row in rows), tuple(int(row[-1]) for row in rows)


# -------------------------------------------------------------------- splitting and batching


def train_test_split(X, y, test_size=0.25, seed=0, stratify=False):
    """Shuffle, then split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    Args:
        test_size: a fraction in (0, 1) or a number of examples.
        stratify: keep each label's share the same in both parts (split each label's examples separately).

    >>> X, y = moons(100)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    >>> len(X_train), len(X_test)
    (80, 20)
    """
    X, y = list(X), list(y)
    paired(X, y, "rows", "labels")
    n_test = _test_count(test_size, len(X))
    rng = random.Random(seed)
    if stratify:
        train, test = [], []
        by_label = {}
        for i, label in enumerate(y):
            by_label.setdefault(label, []).append(i)
        for label in sorted(by_label, key=repr):
            indices = by_label[label]
            rng.shuffle(indices)
            k = round(len(indices) * n_test / len(X))
            test += indices[:k]
            train += indices[k:]
        rng.shuffle(train)
        rng.shuffle(test)
    else:
        order = list(range(len(X)))
        rng.shuffle(order)
        test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def batches(X, y, batch_size=32, shuffle=True, seed=0):
    """Yield ``(X_batch, y_batch)`` pairs that together cover the data once (the last may be smaller).

    ``batch_size=None`` gives the whole set as one batch (full-batch gradient descent).

    >>> [len(xb) for xb, yb in batches(list(range(10)), list(range(10)), batch_size=4)]
    [4, 4, 2]
    """
    X, y = list(X), list(y)
    paired(X, y, "rows", "labels")
    size = len(X) if batch_size is None else whole_number(batch_size, "batch_size", 1)
    order = list(range(len(X)))
    if shuffle:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]


# -------------------------------------------------------------------- helpers


def _linspace(start, stop, n, endpoint=True):
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _noisy_shuffled(points, labels, noise, rng):
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise!r}")
    X = [(a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)) for a, b in points]
    return _shuffled(X, labels, rng)


def _shuffled(X, y, rng):
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _test_count(test_size, n):
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        count = math.ceil(test_size * n)  # scikit-learn rounds the test part up
    elif isinstance(test_size, int) and not isinstance(test_size, bool):
        count = test_size
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of examples, got {test_size!r}")
    if not 0 < count < n:
        raise ValueError(f"test_size {test_size!r} leaves no examples for {'testing' if count <= 0 else 'training'} out of {n}")
    return count
