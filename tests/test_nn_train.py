"""fit, evaluate and History: the two target runs, and what the loop does step by step."""

import math
import sys

import pytest

from engine import Value
from nn import (
    MLP,
    SGD,
    LSTM,
    Adam,
    Callback,
    Conv2d,
    DeadReLUs,
    Dropout,
    History,
    Layer,
    Neuron,
    Residual,
    Sequential,
    TrainingDiverged,
    accuracy,
    cosine_decay,
    cross_entropy,
    datasets,
    dead_relu_fraction,
    evaluate,
    fit,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    linear_decay,
    mse_loss,
)


# -------------------------------------------------------------------- the targets


def test_micrograds_moons_demo_reaches_full_training_accuracy():
    # micrograd's demo: MLP(2, [16, 16, 1]) with its U(-1, 1) initialisation, 100 full-batch steps of
    # SGD with lr = 1.0 - 0.9 k / 100, hinge loss plus 1e-4 * sum of squared weights.
    X, y = datasets.moons(100, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    model = MLP(2, [16, 16, 1], init="uniform", seed=1)
    history = fit(
        model,
        X,
        labels,
        hinge_loss,
        SGD(model.parameters(), lr=1.0),
        epochs=100,
        batch_size=None,
        l2=1e-4,
        schedule=linear_decay(1.0, 0.1, 100),
        patience=None,
    )
    _, train_accuracy = evaluate(model, X, labels, hinge_loss)
    assert train_accuracy == 1.0
    assert history.epochs == 100 and history.train_loss[-1] < 0.1 * history.train_loss[0]


def test_digits_network_reaches_96_percent_test_accuracy():
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    model = MLP(64, [32, 10], seed=1)
    epochs = 10
    history = fit(
        model,
        X_train,
        y_train,
        cross_entropy,
        Adam(model.parameters(), lr=0.01),
        epochs=epochs,
        batch_size=32,
        schedule=cosine_decay(0.01, epochs),
    )
    _, test_accuracy = evaluate(model, X_test, y_test, cross_entropy)
    assert test_accuracy >= 0.96, history


# -------------------------------------------------------------------- one step, checked by hand


def test_one_full_batch_step_is_forward_loss_backward_step():
    X, y = datasets.xor(16, seed=0)
    labels = [2 * t - 1 for t in y]
    model = MLP(2, [4, 1], seed=0)
    twin = MLP(2, [4, 1], seed=0)

    fit(model, X, labels, hinge_loss, SGD(model.parameters(), lr=0.3), epochs=1, batch_size=None, l2=0.01, progress=False)

    params = twin.parameters()
    loss = hinge_loss([twin(x) for x in X], labels) + l2_penalty(params, 0.01)
    loss.backward()
    for p in params:
        p.data -= 0.3 * p.grad
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in params], abs=1e-15)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_penalize_biases_false_penalises_the_weights_alone(penalty):
    X, y = datasets.xor(16, seed=0)
    labels = [2 * t - 1 for t in y]
    model, twin = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    fit(model, X, labels, hinge_loss, SGD(model.parameters(), lr=0.3), epochs=1, batch_size=None,
        progress=False, penalize_biases=False, **{penalty: 0.05})

    weights = twin.weights()
    by_hand = l1_penalty(weights, 0.05) if penalty == "l1" else l2_penalty(weights, 0.05)
    (hinge_loss([twin(x) for x in X], labels) + by_hand).backward()
    for p in twin.parameters():
        p.data -= 0.3 * p.grad
    assert [p.data for p in model.parameters()] == pytest.approx([p.data for p in twin.parameters()], abs=1e-15)
    assert len(weights) == 4 * 2 + 4 and all(not p.label.endswith(".b") for p in weights)


def test_weights_leave_out_every_kind_of_bias():
    lstm = LSTM(2, 3, nout=1, seed=0)
    assert all(".w." in p.label for p in lstm.weights())
    assert len(lstm.parameters()) - len(lstm.weights()) == 4 * 3 * 2 + 1   # b_ih and b_hh per gate unit, the readout's b
    conv = Conv2d(1, 2, kernel_size=2, seed=0)
    assert len(conv.weights()) == 2 * 4 and len(conv.parameters()) == 2 * 5


def test_history_records_every_epoch():
    X, y = datasets.spiral(60, classes=3, seed=0)
    X_val, y_val = datasets.spiral(30, classes=3, seed=1)
    model = MLP(2, [8, 8, 3], seed=0)
    history = fit(
        model, X, y, cross_entropy, epochs=4, batch_size=16, validation=(X_val, y_val), schedule=cosine_decay(0.05, 4)
    )
    assert isinstance(history, History) and history.epochs == 4
    for series in (history.train_loss, history.train_accuracy, history.val_loss, history.val_accuracy, history.dead_relu):
        assert len(series) == 4
    assert history.lr == [cosine_decay(0.05, 4)(k) for k in range(4)]
    assert list(history.grad_norms) == ["layers.0", "layers.1", "layers.2"]
    assert all(len(norms) == 4 and all(n > 0 for n in norms) for norms in history.grad_norms.values())
    assert history.val_loss[-1] == evaluate(model, X_val, y_val, cross_entropy)[0]
    assert history.seconds > 0 and "4 epochs" in repr(history)


def test_grad_norms_are_each_layers_gradient_norm():
    X, y = datasets.moons(20, seed=0)
    model = MLP(2, [5, 1], seed=0)
    history = fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=0.1), epochs=1, batch_size=None)
    # One step: the gradients are still in the parameters after it.
    for name, layer in zip(["layers.0", "layers.1"], model.layers):
        expected = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert history.grad_norms[name] == [pytest.approx(expected, rel=1e-12)]


def test_clip_norm_caps_every_step():
    X, y = datasets.moons(20, seed=0)
    model = MLP(2, [5, 1], seed=0)
    fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=0.1), epochs=2, batch_size=None, clip_norm=1e-3)
    assert math.sqrt(sum(p.grad**2 for p in model.parameters())) <= 1e-3 * (1 + 1e-9)


def test_training_stops_once_the_loss_stops_improving():
    X, y = datasets.moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=1e-12), epochs=50, patience=3, batch_size=None)
    assert history.stopped_early and history.epochs == 1 + 3
    history = fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=1e-12), epochs=6, patience=None, batch_size=None)
    assert not history.stopped_early and history.epochs == 6


def test_fit_leaves_the_mode_as_it_found_it_and_trains_with_dropout():
    model = Sequential(Layer(2, 8, seed=0), Dropout(0.3, seed=0), Layer(8, 1, activation="linear", seed=1)).eval()
    X, y = datasets.moons(40, seed=0)
    history = fit(model, X, [float(t) for t in y], mse_loss, epochs=3, batch_size=8)
    assert not model.training and history.train_accuracy == []  # mse has no accuracy
    assert len(history.dead_relu) == 3


def test_evaluate_records_no_graph_and_restores_the_mode(monkeypatch):
    model = Sequential(Layer(2, 3, seed=0), Dropout(0.5, seed=0), Layer(3, 2, seed=0))
    outputs = []
    original = Layer.__call__

    def spy(self, x):
        out = original(self, x)
        outputs.extend(out)
        return out

    monkeypatch.setattr(Layer, "__call__", spy)
    loss, acc = evaluate(model, [(1.0, 2.0), (0.5, -1.0)], [0, 1], cross_entropy)
    assert model.training
    assert outputs and all(out.parents == () for out in outputs)
    assert isinstance(loss, float) and acc in (0.0, 0.5, 1.0)


def test_dead_relu_fraction_counts_neurons_silent_on_every_input():
    model = MLP(2, [4, 4, 1], seed=0)
    model.layers[0].neurons[1].b.data = -100.0  # never fires on inputs in [-1, 1]
    for n in model.layers[1].neurons:
        n.b.data = 100.0  # always fires
    X = [(0.5, -0.5), (-1.0, 1.0), (0.2, 0.9)]
    assert dead_relu_fraction(model, X) == 1 / 8
    assert dead_relu_fraction(MLP(2, [4, 1], activation="tanh"), X) is None
    assert dead_relu_fraction(Neuron(2), X) is None


def test_dead_relu_fraction_reaches_layers_inside_other_modules():
    inner = Layer(2, 2, seed=0)
    inner.neurons[0].b.data = -100.0
    model = Sequential(Residual(inner), Layer(2, 2, activation="linear", seed=1))
    assert dead_relu_fraction(model, [(0.5, 0.5), (-0.5, 0.2)]) == 0.5


def test_fit_counts_the_relus_that_never_fire_during_an_epoch():
    X, y = datasets.moons(20, seed=0)
    model = MLP(2, [4, 4, 1], seed=0)
    model.layers[0].neurons[2].b.data = -100.0  # negative for every input, so relu' = 0: nothing revives it
    # A learning rate too small to change which neurons fire: each epoch must count what the final weights show.
    history = fit(model, X, [2 * t - 1 for t in y], hinge_loss, SGD(model.parameters(), lr=1e-12), epochs=3, batch_size=5)
    expected = dead_relu_fraction(model, X)
    assert expected >= 1 / 8 and history.dead_relu == [expected] * 3


def _two_relus():
    """A layer whose neuron 0 fires on positive inputs only, neuron 1 on negative ones."""
    layer = Layer(1, 2, seed=0)
    layer.neurons[0].w, layer.neurons[1].w = [Value(1.0)], [Value(-1.0)]
    return layer


def test_dead_relus_count_training_calls_only_and_stop_watching_at_the_end():
    layer = _two_relus()
    counter = DeadReLUs()
    counter.on_fit_start(layer)
    layer([1.0])
    layer.eval()([-1.0])  # evaluating: not a training example
    history = History()
    counter.on_epoch_end(0, history)
    assert history.dead_relu == [0.5]
    counter.on_fit_end()
    layer.train()([-1.0])
    assert counter.dead_fraction() == 1.0  # nothing seen after the end


def test_fit_does_not_count_validation_examples_as_firing():
    model = Sequential(_two_relus(), Layer(2, 1, activation="linear", seed=1))
    X, y, X_val, y_val = [(1.0,), (2.0,)], [1.0, 2.0], [(-1.0,)], [0.0]
    history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=1e-12), epochs=2, validation=(X_val, y_val))
    assert history.dead_relu == [0.5, 0.5]
    assert dead_relu_fraction(model, X + X_val) == 0.0


def test_callbacks_are_called_at_their_points_of_the_loop():
    X, y = datasets.moons(10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    calls = []

    class Spy(Callback):
        def on_fit_start(self, model):
            calls.append(("start", model.training))

        def on_after_backward(self):
            self.before = [p.data for p in model.parameters()]
            calls.append(("backward", any(p.grad != 0.0 for p in model.parameters())))

        def on_after_step(self):
            calls.append(("step", [p.data for p in model.parameters()] != self.before))

        def on_epoch_end(self, epoch, history):
            calls.append(("epoch", epoch, len(history.val_loss), len(history.grad_norms["layers.0"])))

        def on_fit_end(self):
            calls.append(("end", model.training))

    labels = [2 * t - 1 for t in y]
    fit(model.eval(), X, labels, hinge_loss, epochs=2, batch_size=5, validation=(X, labels), callbacks=[Spy()])
    step = [("backward", True), ("step", True)]
    assert calls == [("start", True), *step, *step, ("epoch", 0, 1, 1), *step, *step, ("epoch", 1, 2, 2), ("end", True)]
    assert not model.training


def test_a_callback_stops_training_by_setting_stop_training():
    X, y = datasets.moons(10, seed=0)

    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, history):
            history.stop_training = epoch == 1

    history = fit(MLP(2, [3, 1], seed=0), X, [2 * t - 1 for t in y], hinge_loss, epochs=5, patience=None,
                  callbacks=[StopAfterTwo()], progress=False)
    assert history.epochs == 2 and history.stop_training and not history.stopped_early


def test_callbacks_end_even_when_fit_fails():
    ended = []

    class Failing(Callback):
        def on_epoch_end(self, epoch, history):
            raise RuntimeError("disk full")

        def on_fit_end(self):
            ended.append(True)

    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(RuntimeError, match="disk full"):
        fit(model, [(1.0, 2.0)], [1], hinge_loss, callbacks=[Failing()])
    assert ended == [True] and model.training


def test_settings_after_the_optimizer_are_keywords():
    model = Neuron(2)
    with pytest.raises(TypeError):
        fit(model, [(1.0, 2.0)], [1], hinge_loss, SGD(model.parameters(), lr=0.1), 3)


def test_accuracy_reads_outputs_the_way_the_loss_does():
    scores = [Value(2.0), Value(-1.0), Value(0.5)]
    assert accuracy(scores, [1, 1, -1], loss=hinge_loss) == pytest.approx(1 / 3)
    logits = [[Value(0.1), Value(0.9)], [Value(3.0), Value(-3.0)]]
    assert accuracy(logits, [1, 1], loss=cross_entropy) == 0.5
    with pytest.raises(ValueError, match="is_right"):
        accuracy(scores, [1, 1, 1], loss=mse_loss)
    close = lambda out, target: abs(out.data - target) < 1  # noqa: E731
    assert accuracy(scores, [1.5, 0.5, 0.0], loss=mse_loss, is_right=close) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(epochs=0), "epochs must be a whole number >= 1"),
        (dict(patience=0), "patience"),
        (dict(tol=-1.0), "tol must be >= 0"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_settings_are_value_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        fit(Neuron(2), [(1.0, 2.0)], [1], hinge_loss, **settings)


def _moons_fit(model=None, **settings):
    X, y = datasets.moons(20, seed=0)
    model = model or MLP(2, [3, 2], seed=0)
    return fit(model, X, y, cross_entropy, **{"epochs": 2, "batch_size": 10, **settings})


@pytest.mark.parametrize(
    "settings, error, message",
    [
        (dict(seed="a"), TypeError, "seed must be an int, got str: 'a'"),
        (dict(seed=1.5), TypeError, "seed must be an int, got float: 1.5"),
        (dict(seed=None), TypeError, "seed must be an int, got NoneType"),
        (dict(l1=-1), ValueError, "l1 must be >= 0, got -1.0"),
        (dict(l2=float("nan")), ValueError, "l2 must be a finite number, got nan"),
        (dict(l2="0.1"), TypeError, "l2 must be a real number"),
        (dict(penalize_biases="no"), TypeError, "penalize_biases must be True or False, got str: 'no'"),
        (dict(clip_norm=float("inf")), ValueError, "clip_norm must be a finite number, got inf"),
        (dict(clip_norm=0), ValueError, "clip_norm must be > 0, got 0.0"),
        (dict(schedule=0.1), TypeError, "schedule must be a function epoch -> learning rate .*got float: 0.1"),
        (dict(optimizer=0.01), TypeError, r"optimizer must be an optimizer .* got float: 0.01.*lr="),
        (dict(validation=([(1.0, 2.0)],)), ValueError, r"validation must be a pair \(X_val, y_val\)"),
        (dict(validation=([(1.0, 2.0)], [0, 1])), ValueError, "got 1 validation rows but 2 validation targets"),
    ],
)
def test_bad_settings_are_refused_before_training_and_named(settings, error, message):
    model = MLP(2, [3, 2], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=message):
        _moons_fit(model, **settings)
    assert [p.data for p in model.parameters()] == before  # refused before the first step


@pytest.mark.parametrize(
    "rate, error, message",
    [
        ("a", TypeError, "the learning rate that schedule 'bad' returned for epoch 1 must be a real number .*got str: 'a'"),
        (float("nan"), ValueError, "the learning rate that schedule 'bad' returned for epoch 1 must be a finite number, got nan"),
        (float("inf"), ValueError, "must be a finite number, got inf"),
        (-0.1, ValueError, "the learning rate that schedule 'bad' returned for epoch 1 must be >= 0, got -0.1"),
    ],
)
def test_each_rate_a_schedule_returns_is_checked(rate, error, message):
    def bad(epoch):
        return 0.1 if epoch == 0 else rate

    model = MLP(2, [3, 2], seed=0)
    with pytest.raises(error, match=message):
        _moons_fit(model, schedule=bad, epochs=3)
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_a_schedule_may_end_at_zero():
    history = _moons_fit(schedule=cosine_decay(0.1, 1), epochs=2)
    assert history.lr == [0.1, 0.0]


@pytest.mark.parametrize(
    "X, message",
    [
        ([None, [1.0, 2.0]], "row 0 of X is NoneType: None; each row must be a sequence of numbers"),
        ([[1.0, 2.0], 3.0], "row 1 of X is float: 3.0; each row must be a sequence of numbers"),
        ([[1.0, 2.0], [1.0, "a"]], r"row 1 of X holds str: 'a' at \[1\]; each row must be a sequence of numbers"),
        ([[1.0, None], [1.0, 2.0]], r"row 0 of X holds NoneType: None at \[1\]"),
    ],
)
def test_a_row_that_is_not_numbers_is_named_by_its_index(X, message):
    with pytest.raises(TypeError, match=message):
        fit(MLP(2, [2], seed=0), X, [0, 1], cross_entropy)
    with pytest.raises(TypeError, match=message):
        evaluate(MLP(2, [2], seed=0), X, [0, 1], cross_entropy)


def test_rows_of_vectors_for_an_rnn_are_kept():
    from nn import RNN

    sequences = [[(1.0, 0.0), (0.0, 1.0)], [(0.5, 0.5)]]
    model = RNN(2, 3, 1, seed=0)
    def last_step_mse(outputs, targets):  # each output is one list per step; the last step is the answer
        return mse_loss([steps[-1] for steps in outputs], targets)

    assert fit(model, sequences, [0.0, 1.0], last_step_mse, epochs=1).epochs == 1


# -------------------------------------------------------------------- divergence


def test_a_learning_rate_far_too_high_stops_with_training_diverged():
    X, y = datasets.moons(40, seed=0)
    model = MLP(2, [8, 2], seed=0)
    with pytest.raises(TrainingDiverged) as caught:
        fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=1e308), epochs=5, batch_size=10)
    message = str(caught.value)
    assert isinstance(caught.value, FloatingPointError) and "\n" not in message
    assert message.startswith("training diverged in epoch 1 of 5: the loss became ")
    assert "the learning rate (1e+308) is probably too high: try a smaller lr or clip_norm" in message
    assert caught.value.epoch == 1 and caught.value.history.epochs == 0


def test_weights_that_become_infinite_on_the_last_step_are_caught_at_the_epochs_end():
    class Overflowing(SGD):
        def step(self):
            super().step()
            self.parameters[-1].data = math.inf

    X, y = datasets.moons(20, seed=0)
    model = MLP(2, [3, 2], seed=0)
    # One full batch per epoch: the step that ruins the weights is the epoch's last, so no loss shows it.
    message = r"in epoch 1 of 3: a weight became inf \(layers.1.neurons.1.b\)"
    with pytest.raises(TrainingDiverged, match=message):
        fit(model, X, y, cross_entropy, Overflowing(model.parameters(), lr=0.1), epochs=3, batch_size=None)


def test_a_loss_that_is_not_finite_before_any_step_blames_the_data():
    message = r"in epoch 1 of 2 before any step: the loss is nan; look for nan or inf in the data \(X, y\)"
    with pytest.raises(TrainingDiverged, match=message):
        fit(MLP(2, [3, 2], seed=0), [(1.0, float("nan")), (0.0, 1.0)], [0, 1], cross_entropy, epochs=2)


def test_divergence_ends_the_callbacks_and_restores_the_mode():
    ended = []

    class End(Callback):
        def on_fit_end(self):
            ended.append(True)

    X, y = datasets.moons(20, seed=0)
    model = MLP(2, [3, 2], seed=0).eval()
    with pytest.raises(TrainingDiverged):
        fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=1e308), epochs=3, callbacks=[End()])
    assert ended == [True] and not model.training


def test_mismatched_data_is_a_value_error():
    with pytest.raises(ValueError, match="got 2 rows but 1 targets"):
        fit(Neuron(2), [(1.0, 2.0), (3.0, 4.0)], [1], hinge_loss)


# -------------------------------------------------------------------- progress and plots


def _tiny_fit(**settings):
    X, y = datasets.moons(10, seed=0)
    return fit(MLP(2, [3, 1], seed=0), X, [2 * t - 1 for t in y], hinge_loss, epochs=2, batch_size=5, **settings)


def test_progress_is_silent_when_output_is_not_a_terminal(capsys):
    _tiny_fit()
    assert capsys.readouterr() == ("", "")


def test_progress_true_shows_a_bar_with_loss_and_accuracy(capsys):
    _tiny_fit(progress=True)
    shown = capsys.readouterr().out
    assert "epoch 2/2" in shown and "loss" in shown and "accuracy" in shown and "4/4" in shown


def test_progress_shows_in_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    _tiny_fit()
    assert "epoch 2/2" in capsys.readouterr().out


def test_history_plot_draws_every_panel():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_val, y_val = datasets.moons(10, seed=1)
    history = _tiny_fit(validation=(X_val, [2 * t - 1 for t in y_val]))
    figure = history.plot()
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["loss", "accuracy", "learning rate", "gradient norm per layer (log scale)",
                      "||step|| / ||weights|| per layer (log scale)", "fraction of dead ReLUs per layer"]
    loss_lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in loss_lines] == ["training", "validation"]
    assert list(loss_lines[0].get_ydata()) == history.train_loss
    assert [line.get_label() for line in figure.axes[3].get_lines()] == ["layers.0", "layers.1"]
    ratio_lines = figure.axes[4].get_lines()
    assert [line.get_label() for line in ratio_lines[:2]] == ["layers.0", "layers.1"]
    assert list(ratio_lines[1].get_ydata()) == history.update_ratio["layers.1"]
    assert list(ratio_lines[2].get_ydata()) == [1e-3, 1e-3]                      # the healthy mark
    assert list(figure.axes[5].get_lines()[0].get_ydata()) == history.dead_relu_by_layer["layers.0"]
    plt.close(figure)


def test_history_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[demos\]"'):
        History().plot()


# -------------------------------------------------------------------- where the names live


def test_the_training_names_still_import_from_nn_train():
    # accuracy and evaluate moved to nn.metrics; nn.train re-exports them so older imports keep working.
    import nn.metrics
    from nn.train import TrainingDiverged as diverged, accuracy as acc, evaluate as ev, fit as fit_

    assert (acc, ev) == (nn.metrics.accuracy, nn.metrics.evaluate)
    assert (fit_, diverged) == (fit, TrainingDiverged)
