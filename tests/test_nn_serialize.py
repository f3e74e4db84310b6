"""state_dict / load_state_dict and save / load: exact round trips, atomic writes, and errors that name the problem."""

import json
import math
import os

import pytest

from engine.checks import shortened
from nn import MLP, SGD, Layer, Neuron, Sequential
from nn import serialize


def _weights(model):
    return [p.data for p in model.parameters()]


def test_state_dict_groups_each_neurons_weights():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert list(state)[:2] == ["layers.0.neurons.0.w", "layers.0.neurons.0.b"]
    assert len(state) == 2 * (3 + 1)
    assert state["layers.1.neurons.0.w"] == [w.data for w in model.layers[1].neurons[0].w]
    assert state["layers.0.neurons.2.b"] == model.layers[0].neurons[2].b.data


def test_save_and_load_round_trip_every_bit(tmp_path):
    model = MLP(3, [5, 2], seed=0)
    for p in model.parameters():
        p.data = p.data / 3.0 + 1e-17  # digits a short decimal would lose
    path = tmp_path / "model.json"
    model.save(path)
    other = MLP(3, [5, 2], seed=1)
    assert _weights(other) != _weights(model)
    assert other.load(path) is other
    assert _weights(other) == _weights(model)
    document = json.loads(path.read_text())
    assert document["format"] == "chainrule.nn" and document["version"] == 1
    assert document["model"] == "MLP(3, [5, 2])"


def test_loading_writes_into_the_same_values_so_an_optimizer_keeps_working():
    model = Neuron(2, seed=0)
    optimizer = SGD(model.parameters(), lr=0.5)
    model.load_state_dict({"w": [1.0, 2.0], "b": 3.0})
    for p in model.parameters():
        p.grad = 1.0
    optimizer.step()
    assert model.state_dict() == {"w": [0.5, 1.5], "b": 2.5}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), "missing key 'layers.1.neurons.0.b'"),
        (lambda s: s.update({"layers.2.neurons.0.b": 0.0}), "unexpected key 'layers.2.neurons.0.b'"),
        (lambda s: s["layers.0.neurons.1.w"].append(0.5), "wrong shape for 'layers.0.neurons.1.w': the model has 2 numbers there, got 3"),
        (lambda s: s.update({"layers.0.neurons.1.w": 0.5}), "wrong shape for 'layers.0.neurons.1.w'"),
        (lambda s: s.update({"layers.1.neurons.0.b": "0.1"}), "'layers.1.neurons.0.b' must be a real number .*got str"),
        (lambda s: s["layers.1.neurons.0.w"].__setitem__(2, None), r"'layers.1.neurons.0.w\[2\]' must be a real number"),
    ],
)
def test_a_state_that_does_not_fit_is_a_value_error_and_changes_nothing(change, message):
    model = MLP(2, [3, 1], seed=0)
    before = _weights(model)
    state = MLP(2, [3, 1], seed=5).state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert _weights(model) == before


def test_a_file_from_another_architecture_names_the_first_mismatch(tmp_path):
    path = tmp_path / "wide.json"
    MLP(2, [4, 1], seed=0).save(path)
    with pytest.raises(ValueError, match=r"wide.json: (unexpected key 'layers.0.neurons.3.w'|wrong shape)"):
        MLP(2, [3, 1], seed=0).load(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": "chainrule.nn", "version": 1, "parameters": {"w": [1.0,', "not JSON text"),
        ("", "not JSON text"),
        ('[1, 2, 3]', 'expected a JSON object with "format"'),
        ('{"format": "other", "version": 1}', '"format": "chainrule.nn"'),
        ('{"format": "chainrule.nn", "version": 2, "parameters": {}}', "format version 2; this chainrule reads version 1"),
        ('{"format": "chainrule.nn", "version": 1}', "missing key 'parameters'"),
        ('{"format": "chainrule.nn", "version": 1, "parameters": {"w": [1.0, 2.0]}}', "missing key 'b'"),
    ],
)
def test_a_corrupt_or_foreign_file_is_a_value_error_naming_it(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    model = Neuron(2, seed=0)
    with pytest.raises(ValueError, match=message) as error:
        model.load(path)
    assert "bad.json" in str(error.value)


def test_a_binary_file_is_a_value_error_naming_it(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"\xff\xfe\x00\x81 not text")
    with pytest.raises(ValueError, match="bad.bin is not a saved model"):
        Neuron(2, seed=0).load(path)


def test_a_crash_mid_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    Neuron(2, seed=0).save(path)
    before = path.read_bytes()

    def power_cut(fd):
        raise OSError("power cut")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError, match="power cut"):
        Neuron(2, seed=1).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_save_replaces_the_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.json"
    Neuron(2, seed=0).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    model = Neuron(2, seed=1)
    model.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert Neuron(2, seed=0).load(path).state_dict() == model.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]


def test_the_file_is_plain_json_never_pickle(tmp_path):
    path = tmp_path / "model.json"
    Sequential(Layer(2, 2, seed=0)).save(path)
    raw = path.read_bytes()
    assert raw.startswith(b"{") and b"\x80" not in raw
    assert serialize.FORMAT.encode() in raw


# Hostile and damaged files (issue #12): every one is the documented ValueError naming the file.


def test_json_nested_a_million_deep_is_a_value_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 10**6)
    with pytest.raises(ValueError, match="deep.json is not a saved model .*nested too deeply"):
        Neuron(2, seed=0).load(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_file_is_refused_after_a_bounded_read():
    with pytest.raises(ValueError, match="/dev/zero is not a saved model: it is larger than .* bytes"):
        Neuron(2, seed=0).load("/dev/zero")


def test_a_large_model_with_the_longest_numbers_still_loads(tmp_path):
    # The size bound must leave room for every number written at its longest (24 characters).
    model = MLP(200, [200], seed=0)
    for p in model.parameters():
        p.data = -2.2250738585072014e-308
    path = tmp_path / "model.json"
    model.save(path)
    assert os.path.getsize(path) > 2**20
    assert set(_weights(MLP(200, [200], seed=1).load(path))) == {-2.2250738585072014e-308}


# Non-finite weights: refused by default, stored as the strings "nan", "inf", "-inf" when asked.


def _diverged():
    model = MLP(2, [3, 1], seed=0)
    model.layers[0].neurons[1].w[0].data = float("nan")
    model.layers[1].neurons[0].b.data = float("inf")
    model.layers[1].neurons[0].w[2].data = float("-inf")
    return model


def test_saving_a_nan_weight_is_refused_naming_it_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    before = path.read_bytes()
    message = r"'layers.0.neurons.1.w\[0\]' is nan \(and 2 more\).*allow_nonfinite=True"
    with pytest.raises(ValueError, match=message) as error:
        serialize.save(_diverged(), path)
    assert "model.json" in str(error.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_non_finite_weights_saved_on_request_are_standard_json_and_load_back(tmp_path):
    model = _diverged()
    path = tmp_path / "model.json"
    serialize.save(model, path, allow_nonfinite=True)
    document = json.loads(path.read_text(), parse_constant=lambda token: pytest.fail(f"non-standard token {token}"))
    json.dumps(document, allow_nan=False)
    assert document["parameters"]["layers.1.neurons.0.b"] == "inf"
    assert document["parameters"]["layers.1.neurons.0.w"][2] == "-inf"
    other = MLP(2, [3, 1], seed=1).load(path)
    assert [repr(w) for w in _weights(other)] == [repr(w) for w in _weights(model)]


# Numbers no float holds, and JSON's non-standard tokens: refused, naming the parameter.


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1" + "0" * 400, "1" + "0" * 400 + ".5"])
def test_a_number_too_large_for_a_float_is_refused_the_same_way_as_float_or_int(tmp_path, literal):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "chainrule.nn", "version": 1, "parameters": {"w": [1.0, %s], "b": 0.5}}' % literal)
    model = Neuron(2, seed=0)
    before = _weights(model)
    with pytest.raises(ValueError) as error:
        model.load(path)
    written = shortened(type("Literal", (), {"__repr__": lambda self: literal})())  # shortened as an int's repr is
    assert str(error.value) == f"{path}: 'w[1]': {written} is too large for a float"
    assert _weights(model) == before


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_json_s_non_standard_tokens_are_refused_pointing_at_the_strings(tmp_path, token):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "chainrule.nn", "version": 1, "parameters": {"w": [1.0, 2.0], "b": %s}}' % token)
    with pytest.raises(ValueError, match=f"bad.json: 'b': {token} is not standard JSON; .*\"nan\", \"inf\", \"-inf\""):
        Neuron(2, seed=0).load(path)


def test_the_strings_for_non_finite_numbers_are_only_read_from_files():
    # In Python a nan is a float; a string in a state dict is still a mistake.
    with pytest.raises(ValueError, match="'b' must be a real number .*got str: 'nan'"):
        Neuron(2, seed=0).load_state_dict({"w": [1.0, 2.0], "b": "nan"})


def test_save_honours_the_umask_for_a_new_file(tmp_path):
    previous = os.umask(0o077)
    try:
        Neuron(2, seed=0).save(tmp_path / "private.json")
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "private.json").st_mode & 0o777 == 0o600


def test_module_save_refuses_nan_and_passes_allow_nonfinite_through(tmp_path):
    model = MLP(2, [2], seed=0)
    model.layers[0].neurons[0].b.data = math.nan
    path = tmp_path / "model.json"
    with pytest.raises(ValueError, match="allow_nonfinite=True"):
        model.save(path)
    assert not path.exists()
    model.save(path, allow_nonfinite=True)
    fresh = MLP(2, [2], seed=1).load(path)
    assert math.isnan(fresh.layers[0].neurons[0].b.data)
