"""nn.datasets: the generated sets, the shipped digits, splitting and batching."""

import hashlib
import math
import random
from collections import Counter
from importlib import resources

import pytest

from nn import datasets

GENERATED = [datasets.moons, datasets.circles, datasets.spiral, datasets.xor]


@pytest.mark.parametrize("make", GENERATED)
def test_generated_sets_are_seeded_and_leave_global_random_alone(make):
    state = random.getstate()
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    X3, _ = make(seed=4)
    assert random.getstate() == state
    assert (X1, y1) == (X2, y2) and X1 != X3
    assert all(type(row) is tuple and len(row) == 2 and all(type(v) is float for v in row) for row in X1)
    assert len(X1) == len(y1) and all(type(label) is int for label in y1)


def test_moons_without_noise_lie_on_two_half_circles():
    X, y = datasets.moons(101, noise=0.0)
    assert Counter(y) == {0: 50, 1: 51}
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert y != sorted(y)  # shuffled


def test_circles_without_noise_have_radius_one_and_factor():
    X, y = datasets.circles(80, noise=0.0, factor=0.3)
    radii = {label: {round(math.hypot(a, b), 9) for (a, b), t in zip(X, y) if t == label} for label in (0, 1)}
    assert radii == {0: {1.0}, 1: {0.3}}
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(factor=1.5)


def test_spiral_has_one_arm_per_class():
    X, y = datasets.spiral(301, classes=3, noise=0.0)
    assert Counter(y) == {0: 101, 1: 100, 2: 100}
    assert max(math.hypot(a, b) for a, b in X) == pytest.approx(1.0)


def test_xor_labels_follow_the_quadrants():
    X, y = datasets.xor(500)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(X, y))
    assert 0.4 < sum(y) / len(y) < 0.6


def test_bad_sizes_are_value_errors():
    for call in (lambda: datasets.moons(1), lambda: datasets.moons(10, noise=-1), lambda: datasets.spiral(classes=1)):
        with pytest.raises(ValueError):
            call()


# -------------------------------------------------------------------- digits


def test_digits_has_1797_images_of_64_pixels_and_ten_classes():
    X, y = datasets.digits()
    assert len(X) == len(y) == 1797
    assert all(len(row) == 64 for row in X)
    counts = Counter(y)
    assert sorted(counts) == list(range(10)) and all(170 <= n <= 190 for n in counts.values())
    assert min(min(row) for row in X) == 0.0 and max(max(row) for row in X) == 1.0
    raw, raw_y = datasets.digits(scaled=False)
    assert raw_y == y
    assert {v for row in raw for v in row} <= {float(k) for k in range(17)}
    assert all(r / 16.0 == s for row_r, row_s in zip(raw, X) for r, s in zip(row_r, row_s))


def test_digits_file_is_the_one_the_readme_describes():
    data = resources.files("nn").joinpath("data/digits.csv.gz").read_bytes()
    readme = resources.files("nn").joinpath("data/README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data).hexdigest() in readme
    assert "CC BY 4.0" in readme and "Alpaydin" in readme and "archive.ics.uci.edu" in readme


def test_digits_callers_cannot_change_each_others_data():
    X, y = datasets.digits()
    X.clear()
    y[0] = 99
    X2, y2 = datasets.digits()
    assert len(X2) == 1797 and y2[0] != 99


# -------------------------------------------------------------------- splitting and batching


def test_train_test_split_partitions_the_data_reproducibly():
    X = [(float(i), 0.0) for i in range(50)]
    y = [i % 2 for i in range(50)]
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=1)
    assert (len(X_train), len(X_test)) == (40, 10)
    assert sorted(X_train + X_test) == X
    assert all(y[int(row[0])] == label for row, label in zip(X_train + X_test, y_train + y_test))
    assert datasets.train_test_split(X, y, test_size=0.2, seed=1)[1] == X_test
    assert datasets.train_test_split(X, y, test_size=0.2, seed=2)[1] != X_test
    assert len(datasets.train_test_split(X, y, test_size=7)[1]) == 7


def test_stratified_split_keeps_each_class_share():
    X, y = datasets.digits()
    _, _, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, stratify=True)
    train, test = Counter(y_train), Counter(y_test)
    fraction = len(y_test) / len(y)
    for label in range(10):
        share = (train[label] + test[label]) * fraction
        assert abs(test[label] - share) <= 0.5 + 1e-9


@pytest.mark.parametrize("test_size", [0.0, 1.0, 0, 50, -3, "half"])
def test_a_split_that_leaves_a_part_empty_is_a_value_error(test_size):
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(list(range(50)), list(range(50)), test_size=test_size)


def test_batches_cover_the_data_once_in_a_seeded_order():
    X, y = list(range(10)), [10 * i for i in range(10)]
    chunks = list(datasets.batches(X, y, batch_size=4, seed=0))
    assert [len(xb) for xb, _ in chunks] == [4, 4, 2]
    assert sorted(x for xb, _ in chunks for x in xb) == X
    assert all(yb == [10 * x for x in xb] for xb, yb in chunks)
    assert chunks == list(datasets.batches(X, y, batch_size=4, seed=0))
    assert chunks != list(datasets.batches(X, y, batch_size=4, seed=1))
    assert list(datasets.batches(X, y, batch_size=4, shuffle=False))[0] == ([0, 1, 2, 3], [0, 10, 20, 30])
    (full,) = datasets.batches(X, y, batch_size=None)
    assert sorted(full[0]) == X
    with pytest.raises(ValueError, match="3 labels"):
        list(datasets.batches(X, y[:3]))
