"""Conv2d, MaxPool2d and Flatten: shapes, shared weights, routing, names, saving, errors, and PyTorch parity."""

import math
import random
import statistics

import pytest

import engine
from engine import Value
from nn.conv import Conv2d, Flatten, MaxPool2d
from nn.layers import Layer, Sequential


def _image(channels, height, width, rng, as_values=False):
    """A channels x height x width image of numbers in [-1, 1] (or of Values holding them)."""
    make = Value if as_values else float
    return [[[make(rng.uniform(-1, 1)) for _ in range(width)] for _ in range(height)] for _ in range(channels)]


def _numbers(nested):
    """The same nesting with every Value replaced by its number."""
    if isinstance(nested, (list, tuple)):
        return [_numbers(item) for item in nested]
    return nested.data if isinstance(nested, Value) else nested


def _flat(nested):
    if isinstance(nested, (list, tuple)):
        return [x for item in nested for x in _flat(item)]
    return [nested]


def _nudged(model, rng):
    """Move every parameter a little (biases too), so that nothing sits at 0 and a mix-up shows."""
    for p in model.parameters():
        p.data += rng.uniform(-0.3, 0.3)
    return model


# -------------------------------------------------------------------- what a convolution computes


def test_each_output_is_its_kernels_neuron_on_the_receptive_field():
    rng = random.Random(0)
    conv = _nudged(Conv2d(2, 3, kernel_size=2, stride=1, seed=0), rng)
    x = _image(2, 3, 4, rng)
    out = conv(x)
    assert (len(out), len(out[0]), len(out[0][0])) == (3, 2, 3)
    for o, kernel in enumerate(conv.kernels):
        for i in range(2):
            for j in range(3):
                field = [x[c][i + di][j + dj] for c in range(2) for di in range(2) for dj in range(2)]
                expected = math.fsum(w.data * xi for w, xi in zip(kernel.w, field)) + kernel.b.data
                assert out[o][i][j].data == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_one_dot_node_per_position_with_its_receptive_field_as_parents():
    rng = random.Random(1)
    conv = Conv2d(1, 2, kernel_size=2, stride=2, padding=1, seed=0)
    x = _image(1, 3, 3, rng, as_values=True)
    out = conv(x)
    assert (len(out[0]), len(out[0][0])) == (2, 2)
    kernel = conv.kernels[1]
    corner = out[1][0][0]  # the window over padding except its bottom-right entry, x[0][0][0]
    assert corner.op == "dot"
    assert corner.parents == (*kernel.w, kernel.b, x[0][0][0])  # the padding's zeros are constants, not parents
    middle = out[1][1][1]  # the window x[0][1:3][1:3]
    assert middle.parents == (*kernel.w, kernel.b, x[0][1][1], x[0][1][2], x[0][2][1], x[0][2][2])


@pytest.mark.parametrize("size, stride, padding, height, width", [
    (3, 1, 0, 8, 8), (2, 2, 0, 5, 7), (3, 2, 1, 6, 5), (1, 1, 0, 2, 3), (4, 3, 2, 4, 4),
])
def test_the_output_size_is_pytorchs(size, stride, padding, height, width):
    out = Conv2d(1, 2, size, stride, padding, seed=0)(_image(1, height, width, random.Random(0)))
    assert len(out) == 2
    assert len(out[0]) == (height + 2 * padding - size) // stride + 1
    assert {len(row) for row in out[0]} == {(width + 2 * padding - size) // stride + 1}


def test_the_activation_is_applied_to_every_position():
    conv = Conv2d(1, 2, kernel_size=2, activation="relu", seed=0)
    out = conv(_image(1, 4, 4, random.Random(2)))
    assert all(z.op == "relu" and z.parents[0].op == "dot" for z in _flat(out))
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        Conv2d(1, 2, 2, activation="rleu")


def test_a_shared_weights_gradient_is_the_sum_over_the_positions_it_was_used_at():
    x = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
    conv = Conv2d(1, 1, kernel_size=2, seed=0)
    out = conv(x)
    coefficients = [[1.0, -2.0], [0.5, 3.0]]  # dL/d out[0][i][j]
    engine.sum([c * z for crow, zrow in zip(coefficients, out[0]) for c, z in zip(crow, zrow)]).backward()
    for di in range(2):
        for dj in range(2):
            by_hand = sum(coefficients[i][j] * x[0][i + di][j + dj] for i in range(2) for j in range(2))
            assert conv.kernels[0].w[2 * di + dj].grad == pytest.approx(by_hand, rel=1e-15)
    assert conv.kernels[0].b.grad == pytest.approx(1.0 - 2.0 + 0.5 + 3.0)


def test_gradcheck_through_a_padded_strided_convolution():
    rng = random.Random(3)
    conv = _nudged(Conv2d(2, 2, kernel_size=2, stride=2, padding=1, activation="tanh", seed=0), rng)
    image = _image(2, 3, 3, rng)

    def f(w0, w5, x01, x12):  # two weights of kernel 1 and two inputs, one of them next to the padding
        kernel = conv.kernels[1]
        kernel.w = (w0, *kernel.w[1:5], w5, *kernel.w[6:])
        x = [[list(row) for row in channel] for channel in image]
        x[0][0][1], x[1][1][2] = x01, x12
        return engine.sum([z * (k + 1) for k, z in enumerate(_flat(conv(x)))])

    kernel = conv.kernels[1]
    assert engine.gradcheck(f, kernel.w[0].data, kernel.w[5].data, image[0][0][1], image[1][1][2], atol=1e-7, rtol=1e-6)


def test_inputs_may_be_ints_values_or_a_mix():
    conv = Conv2d(1, 1, kernel_size=2, seed=0)
    ints = [[[1, 2], [3, 4]]]
    mixed = [[[Value(1.0), 2.0], [3, Value(4.0)]]]
    assert conv(ints)[0][0][0].data == conv(mixed)[0][0][0].data


# -------------------------------------------------------------------- initialisation, names, saving


def test_kernels_are_neurons_named_like_a_layers():
    conv = Conv2d(3, 4, kernel_size=2, seed=0)
    names = [name for name, _ in conv.named_parameters()]
    assert names[:2] == ["kernels.0.w.0", "kernels.0.w.1"]
    assert names[12] == "kernels.0.b" and names[-1] == "kernels.3.b"
    assert len(names) == len(conv.parameters()) == 4 * (3 * 2 * 2 + 1)
    model = Sequential(conv, MaxPool2d(2), Flatten(), Layer(4, 2, seed=1))
    assert model.parameters()[5].label == "layers.0.kernels.0.w.5"
    assert conv.kernels[2].b.label == "layers.0.kernels.2.b"


def test_the_weights_are_seeded_and_start_as_he_initialisation():
    assert [p.data for p in Conv2d(2, 3, 3, seed=7).parameters()] == [p.data for p in Conv2d(2, 3, 3, seed=7).parameters()]
    assert [p.data for p in Conv2d(2, 3, 3, seed=7).parameters()] != [p.data for p in Conv2d(2, 3, 3, seed=8).parameters()]
    conv = Conv2d(4, 100, kernel_size=3, seed=0)  # fan_in = 4 * 3 * 3 = 36
    weights = [w.data for kernel in conv.kernels for w in kernel.w]
    assert statistics.pstdev(weights) == pytest.approx(math.sqrt(2 / 36), rel=0.05)
    assert all(kernel.b.data == 0.0 for kernel in conv.kernels)
    bound = math.sqrt(6 / (4 * 9 + 100 * 9))  # xavier's fan_out is out_channels * kernel_size**2, as PyTorch's
    assert max(abs(w.data) for w in Conv2d(4, 100, 3, init="xavier", seed=0).parameters()) <= bound


def test_repr_names_every_setting():
    assert repr(Conv2d(1, 8, 3, stride=2, padding=1, activation="relu")) == (
        "Conv2d(1, 8, kernel_size=3, stride=2, padding=1, activation='relu')")
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2)"
    assert repr(MaxPool2d(3, stride=1)) == "MaxPool2d(kernel_size=3, stride=1)"
    assert repr(Flatten()) == "Flatten()"
    assert MaxPool2d(2).parameters() == [] and Flatten().parameters() == []


def _small_cnn(seed):
    return Sequential(
        Conv2d(1, 3, kernel_size=3, padding=1, activation="relu", seed=seed),
        MaxPool2d(2),
        Flatten(),
        Layer(3 * 3 * 3, 4, activation="linear", seed=seed + 1),
    )


def test_save_and_load_a_convolutional_network(tmp_path):
    model = _nudged(_small_cnn(0), random.Random(4))
    path = tmp_path / "cnn.json"
    model.save(path)
    state = model.state_dict()
    assert list(state)[:2] == ["layers.0.kernels.0.w", "layers.0.kernels.0.b"] and len(state["layers.0.kernels.0.w"]) == 9
    fresh = _small_cnn(10)
    x = _image(1, 6, 7, random.Random(5))
    assert [z.data for z in fresh(x)] != [z.data for z in model(x)]
    fresh.load(path)
    assert [z.data for z in fresh(x)] == [z.data for z in model(x)]


def test_fit_trains_a_convolutional_network():
    from nn import Adam, cross_entropy, fit

    rng = random.Random(6)
    images = [_image(1, 6, 6, rng) for _ in range(16)]
    labels = [int(image[0][2][2] > 0) for image in images]
    model = _small_cnn(0)
    history = fit(model, images, labels, cross_entropy, Adam(model.parameters(), lr=0.02), epochs=3, batch_size=8,
                  progress=False)
    assert history.epochs == 3 and history.train_loss[-1] < history.train_loss[0]


# -------------------------------------------------------------------- pooling and flattening


def test_max_pooling_passes_the_winning_input_itself_on():
    x = [[[Value(1.0), Value(5.0), Value(2.0)], [Value(3.0), Value(4.0), Value(0.0)], [Value(6.0), Value(1.0), Value(7.0)]]]
    out = MaxPool2d(2, stride=1)(x)
    assert out == [[[x[0][0][1], x[0][0][1]], [x[0][2][0], x[0][2][2]]]]  # the same Values: no new node
    engine.sum(_flat(out)).backward()
    assert [[[v.grad for v in row] for row in channel] for channel in x] == [[[0, 2, 0], [0, 0, 0], [1, 0, 1]]]


def test_on_a_tie_the_first_maximum_gets_the_whole_gradient_as_in_pytorch(torch):
    x = [[[Value(1.0), Value(3.0)], [Value(3.0), Value(2.0)]], [[Value(4.0), Value(4.0)], [Value(4.0), Value(4.0)]]]
    out = MaxPool2d(2)(x)
    assert out[0][0][0] is x[0][0][1] and out[1][0][0] is x[1][0][0]
    engine.sum(_flat(out)).backward()
    grads = [[[v.grad for v in row] for row in channel] for channel in x]
    assert grads == [[[0.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]]]

    tensor = torch.tensor(_numbers(x), requires_grad=True)
    torch.nn.MaxPool2d(2)(tensor).sum().backward()
    assert tensor.grad.tolist() == grads


def test_a_nan_wins_its_window():
    out = MaxPool2d(2)([[[1.0, math.nan], [3.0, 2.0]]])
    assert math.isnan(out[0][0][0])


def test_pooling_takes_numbers_and_ints():
    assert MaxPool2d(2)([[[1, 5], [3, 4]], [[0, -1], [-2, -3]]]) == [[[5.0]], [[0.0]]]


def test_flatten_is_channel_row_column_order(torch):
    x = _image(2, 3, 4, random.Random(7))
    assert Flatten()(x) == torch.nn.Flatten(start_dim=0)(torch.tensor(x)).tolist()


# -------------------------------------------------------------------- errors


@pytest.mark.parametrize("bad, message", [
    ([0.5] * 64, "got a flat list of 64 entries; reshape it"),
    ([[0.5] * 8] * 8, r"got 8 x 8, one channel's rows\? A one-channel image is a list around its rows"),
    ([[[[0.5] * 8] * 8]], "got 1 x 1 x 8 x 8; one image at a time, not a batch"),
    (3.0, "got float: 3.0"),
    ([[[0.5] * 8] * 7 + [[0.5] * 7]], "row 7 of channel 0 has 7 entries, row 0 of channel 0 has 8"),
    ([[[0.5] * 8] * 8, [[0.5] * 8] * 7], "channel 1 has 7 rows, channel 0 has 8"),
    ([], "got an empty list"),
])
@pytest.mark.parametrize("module", [Conv2d(1, 2, 3, seed=0), MaxPool2d(2), Flatten()], ids=repr)
def test_an_input_that_is_not_one_image_is_named(module, bad, message):
    with pytest.raises(ValueError, match=message) as error:
        module(bad)
    assert str(error.value).startswith(f"{module!r} takes one image as channels x height x width")


def test_an_entry_that_is_not_a_number_is_named_with_its_place():
    with pytest.raises(TypeError, match=r"the input at \[0\]\[1\]\[0\] must be a real number .* got str: 'a'"):
        Flatten()([[[1.0, 2.0], ["a", 3.0]]])


def test_the_wrong_number_of_channels_is_named():
    with pytest.raises(ValueError, match=r"expects 3 input channel\(s\), got an image of 1 x 8 x 8"):
        Conv2d(3, 2, 3)(_image(1, 8, 8, random.Random(0)))


def test_a_kernel_larger_than_the_padded_image_is_named():
    with pytest.raises(ValueError, match="the 4 x 4 kernel does not fit in the 3 x 5 image .padding 1 included"):
        Conv2d(1, 1, 4, padding=1)(_image(1, 1, 3, random.Random(0)))
    with pytest.raises(ValueError, match="the 3 x 3 window does not fit in the 2 x 4 image"):
        MaxPool2d(3)(_image(1, 2, 4, random.Random(0)))


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2d(0, 1, 3), "in_channels must be a whole number >= 1, got 0"),
    (lambda: Conv2d(1, -2, 3), "out_channels must be a whole number >= 1, got -2"),
    (lambda: Conv2d(1, 1, 2.5), "kernel_size must be a whole number >= 1, got 2.5"),
    (lambda: Conv2d(1, 1, 3, stride=0), "stride must be a whole number >= 1, got 0"),
    (lambda: Conv2d(1, 1, 3, padding=-1), "padding must be a whole number >= 0, got -1"),
    (lambda: MaxPool2d(0), "kernel_size must be a whole number >= 1, got 0"),
    (lambda: MaxPool2d(2, stride=True), "stride must be a whole number >= 1, got True"),
])
def test_sizes_that_cannot_be_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -------------------------------------------------------------------- PyTorch parity


@pytest.mark.parametrize("in_channels, out_channels, size, stride, padding, activation, height, width", [
    (1, 2, 3, 1, 0, "linear", 5, 6),
    (1, 3, 2, 2, 1, "tanh", 5, 5),
    (3, 2, 3, 2, 1, "sigmoid", 6, 7),
    (3, 4, 2, 1, 0, "relu", 4, 5),
    (3, 2, 3, 1, 1, "leaky_relu", 4, 4),
])
def test_a_convolution_agrees_with_pytorch(torch, in_channels, out_channels, size, stride, padding, activation,
                                           height, width):
    rng = random.Random(8)
    conv = _nudged(Conv2d(in_channels, out_channels, size, stride, padding, activation, seed=0), rng)
    net = conv.to_torch()
    x = _image(in_channels, height, width, rng, as_values=True)
    out = conv(x)
    coefficients = [rng.uniform(-1, 1) for _ in _flat(out)]  # a loss that weighs every output differently
    engine.sum([c * z for c, z in zip(coefficients, _flat(out))]).backward()

    tensor = torch.tensor(_numbers(x), requires_grad=True)  # one image, C x H x W, as chainrule takes it
    reference = net(tensor)
    (reference.flatten() * torch.tensor(coefficients)).sum().backward()

    assert _flat(_numbers(out)) == pytest.approx(reference.flatten().tolist(), rel=1e-10, abs=1e-10)
    twin = net[0]
    torch_grads = []
    for o in range(out_channels):
        torch_grads += twin.weight.grad[o].flatten().tolist() + [twin.bias.grad[o].item()]
    assert [p.grad for p in conv.parameters()] == pytest.approx(torch_grads, rel=1e-10, abs=1e-10)
    assert [v.grad for v in _flat(x)] == pytest.approx(tensor.grad.flatten().tolist(), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("size, stride", [(2, None), (2, 1), (3, 2)])
def test_max_pooling_agrees_with_pytorch(torch, size, stride):
    rng = random.Random(9)
    x = _image(2, 6, 5, rng, as_values=True)
    out = MaxPool2d(size, stride)(x)
    coefficients = [rng.uniform(-1, 1) for _ in _flat(out)]
    engine.sum([c * z for c, z in zip(coefficients, _flat(out))]).backward()
    tensor = torch.tensor(_numbers(x), requires_grad=True)
    reference = torch.nn.MaxPool2d(size, stride)(tensor)
    (reference.flatten() * torch.tensor(coefficients)).sum().backward()
    assert _flat(_numbers(out)) == reference.flatten().tolist()
    assert [v.grad for v in _flat(x)] == pytest.approx(tensor.grad.flatten().tolist(), rel=1e-12, abs=1e-12)


def test_a_convolutional_network_agrees_with_pytorch_on_a_batch(torch):
    rng = random.Random(10)
    model = _nudged(_small_cnn(0), rng)
    net = model.to_torch()
    assert [type(m).__name__ for m in net] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    images = [_image(1, 6, 7, rng) for _ in range(5)]

    outputs = [model(x) for x in images]
    engine.sum([z * (k + 1) for row in outputs for k, z in enumerate(row)]).backward()
    batch = torch.tensor(images)  # N x C x H x W
    reference = net(batch)
    (reference * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()

    assert reference.shape == (5, 4)
    assert [z.data for row in outputs for z in row] == pytest.approx(reference.flatten().tolist(), rel=1e-10, abs=1e-10)
    assert net(batch[2]).tolist() == pytest.approx(reference[2].tolist(), rel=1e-14)  # one image, C x H x W, too
    conv, linear = net[0], net[4]
    torch_grads = []
    for o in range(3):
        torch_grads += conv.weight.grad[o].flatten().tolist() + [conv.bias.grad[o].item()]
    for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
        torch_grads += row + [bias]
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads, rel=1e-10, abs=1e-10)


def test_each_image_module_converts_on_its_own(torch):
    conv = Conv2d(3, 2, kernel_size=2, stride=2, padding=1, activation="tanh", seed=0)
    net = conv.to_torch()
    assert [type(m).__name__ for m in net] == ["Conv2d", "Tanh"]
    assert net[0].weight.shape == (2, 3, 2, 2) and net[0].stride == (2, 2) and net[0].padding == (1, 1)
    assert net[0].weight[1, 2, 0, 1].item() == conv.kernels[1].w[2 * 4 + 0 * 2 + 1].data
    assert net[0].weight.dtype == torch.float64
    pool = MaxPool2d(3, stride=1).to_torch()[0]
    assert (pool.kernel_size, pool.stride) == (3, 1)
    assert Flatten().to_torch()(torch.zeros(4, 2, 3, 5)).shape == (4, 30)
