"""What fit records beyond the loss: update ratios, dead ReLUs per layer, activations, and TensorBoard's files."""

import math
import os
import sys

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # a dev dependency: TensorBoard's reader

from nn import MLP, SGD, Adam, Callback, KeepBest, activations, cross_entropy, datasets, fit, hinge_loss
from nn.callbacks import UpdateRatios


def _moons(n=40):
    X, y = datasets.moons(n, seed=0)
    return X, y


# -------------------------------------------------------------------- update ratios


def test_update_ratio_is_the_steps_length_over_the_weights_length_per_layer():
    # One full-batch SGD step: the step is lr * grad, so the ratio is lr * ||g|| / ||w||, layer by layer.
    X, y = _moons()
    model, twin = MLP(2, [4, 2], seed=0), MLP(2, [4, 2], seed=0)
    history = fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=0.1), epochs=1, batch_size=None, progress=False)

    cross_entropy([twin(x) for x in X], y).backward()
    for layer, expected in zip(twin.layers, history.update_ratio.values()):
        parameters = layer.parameters()
        by_hand = 0.1 * math.hypot(*(p.grad for p in parameters)) / math.hypot(*(p.data for p in parameters))
        assert expected == [pytest.approx(by_hand, rel=1e-12)]
    assert list(history.update_ratio) == ["layers.0", "layers.1"]


def test_update_ratio_averages_the_steps_of_an_epoch_and_grows_with_the_learning_rate():
    X, y = _moons()
    ratios = {}
    for lr in (1e-4, 1e-1):
        model = MLP(2, [8, 2], seed=0)
        ratios[lr] = fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=lr), epochs=2, batch_size=10,
                         progress=False).update_ratio["layers.0"]
    assert len(ratios[1e-4]) == 2
    assert ratios[1e-4][0] < 1e-4 < 1e-3 < ratios[1e-1][0]  # about lr * ||g|| / ||w||: it scales with lr


def test_update_ratio_of_huge_weights_does_not_overflow():
    ratios = UpdateRatios()
    model = MLP(1, [1], seed=0)
    ratios.on_fit_start(model)
    for p in model.parameters():
        p.data = 1e200
    ratios.on_after_backward()
    for p in model.parameters():
        p.data = -1e200
    ratios.on_after_step()
    assert ratios.sums["layers.0"] == pytest.approx(2.0)


# -------------------------------------------------------------------- dead ReLUs, activations


def test_dead_relus_are_counted_layer_by_layer():
    X, y = _moons()
    model = MLP(2, [4, 3, 2], seed=0)
    for neuron in model.layers[1].neurons[:2]:       # two of the second layer's three can never fire
        neuron.b.data = -1e6
    history = fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=1e-9), epochs=2, progress=False)
    assert history.dead_relu_by_layer == {"layers.0": [0.0, 0.0], "layers.1": [2 / 3, 2 / 3]}
    assert history.dead_relu == [2 / 7, 2 / 7]


def test_activations_are_every_output_of_every_layer():
    X = [(0.5, -1.0), (2.0, 0.25), (-1.0, -1.0)]
    model = MLP(2, [3, 2], seed=0)
    model.train()
    seen = activations(model, X)
    assert list(seen) == ["layers.0", "layers.1"]
    by_hand = [model.layers[0](x) for x in X]
    assert seen["layers.0"] == [v.data for outputs in by_hand for v in outputs]
    assert len(seen["layers.1"]) == 3 * 2 and min(seen["layers.0"]) >= 0.0   # ReLU outputs
    assert model.training and not model.layers[0]._forward_hooks            # mode restored, hooks removed


# -------------------------------------------------------------------- TensorBoard


def _events(folder):
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator


def test_fit_writes_what_it_records_to_tensorboard(tmp_path):
    X, y = _moons()
    model = MLP(2, [6, 2], seed=0)
    history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=3, batch_size=10,
                  validation=_moons(20), log_dir=tmp_path / "run", progress=False)

    events = _events(tmp_path / "run")
    scalars = {tag: [(event.step, event.value) for event in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
    steps = [1, 2, 3]
    for tag, numbers in [("loss/train", history.train_loss), ("loss/validation", history.val_loss),
                         ("accuracy/train", history.train_accuracy), ("accuracy/validation", history.val_accuracy),
                         ("learning_rate", history.lr), ("grad_norm/layers.1", history.grad_norms["layers.1"]),
                         ("update_ratio/layers.0", history.update_ratio["layers.0"]),
                         ("dead_relu/layers.0", history.dead_relu_by_layer["layers.0"])]:
        assert [step for step, _ in scalars[tag]] == steps, tag
        assert [value for _, value in scalars[tag]] == pytest.approx(numbers, rel=1e-6), tag  # stored as float32

    assert set(events.Tags()["histograms"]) == {"weights/layers.0", "gradients/layers.0",
                                                "weights/layers.1", "gradients/layers.1"}
    last = events.Histograms("weights/layers.1")[-1]
    weights = [p.data for p in model.layers[1].parameters()]
    assert last.step == 3 and last.histogram_value.num == len(weights) == 14
    assert last.histogram_value.min == pytest.approx(min(weights)) and last.histogram_value.max == pytest.approx(max(weights))


def test_two_runs_in_one_folder_are_two_runs(tmp_path):
    X, y = _moons()
    for name in ("a", "b"):
        fit(MLP(2, [4, 2], seed=0), X, y, cross_entropy, epochs=1, log_dir=tmp_path / name, progress=False)
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]
    assert [event.step for event in _events(tmp_path / "b").Scalars("loss/train")] == [1]


@pytest.mark.parametrize(
    "log_dir, error, message",
    [
        (3, TypeError, r"log_dir must be a folder's path \(a str or a pathlib.Path\), got int: 3"),
        ("FILE", ValueError, "log_dir .* is a file; name a folder"),
    ],
)
def test_a_bad_log_dir_is_refused_before_training(tmp_path, log_dir, error, message):
    if log_dir == "FILE":
        log_dir = tmp_path / "not_a_folder"
        log_dir.write_text("x")
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    X, y = _moons(10)
    with pytest.raises(error, match=message):
        fit(model, X, [2 * t - 1 for t in y], hinge_loss, log_dir=log_dir, progress=False)
    assert [p.data for p in model.parameters()] == before


def test_without_tensorboardx_log_dir_names_the_extra_before_training(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    X, y = _moons(10)
    with pytest.raises(ImportError, match=r'needs tensorboardX: pip install "chainrule\[tensorboard\]"'):
        fit(model, X, [2 * t - 1 for t in y], hinge_loss, log_dir=tmp_path / "run", progress=False)
    assert [p.data for p in model.parameters()] == before
    assert not (tmp_path / "run").exists()


# -------------------------------------------------------------------- keeping the best epoch


def test_keep_best_keeps_the_weights_of_the_lowest_validation_loss():
    X, y = datasets.moons(20, noise=0.5, seed=0)
    validation = datasets.moons(30, noise=0.5, seed=1)
    model, best = MLP(2, [16, 16, 2], seed=0), KeepBest()
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, history):
            snapshots.append([p.data for p in model.parameters()])

    history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.1), epochs=12, patience=None,
                  validation=validation, callbacks=[best, Snapshot()], progress=False)
    lowest = min(range(12), key=history.val_loss.__getitem__)
    assert best.epoch == lowest + 1 and best.val_loss == history.val_loss[lowest]
    assert best.epoch < 12  # this run overfits: the last epoch is not the best, so the test could fail
    model.load_state_dict(best.state)
    assert [p.data for p in model.parameters()] == snapshots[lowest]


def test_keep_best_without_validation_says_what_it_needs():
    X, y = _moons(10)
    with pytest.raises(ValueError, match=r"KeepBest chooses on the validation loss: pass fit\(..., validation="):
        fit(MLP(2, [3, 2], seed=0), X, y, cross_entropy, epochs=1, callbacks=[KeepBest()], progress=False)
