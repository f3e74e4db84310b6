"""Convolution and pooling on images: one kernel slid over every position, so its weights are shared.

An image is nested lists, channels x height x width: a list of channels, each a list of rows, each a
list of numbers or Values (a grey 8x8 digit is ``[rows]``, one channel of 8 rows of 8). Output
channel o of a ``Conv2d`` at row i, column j is one neuron's weighted sum over a k x k window of every
input channel (its *receptive field*), starting at row i*stride, column j*stride of the zero-padded image:

    out[o][i][j] = act(b_o + sum over c, di, dj of w_o[c, di, dj] * x[c][i*stride + di][j*stride + dj])

Every position uses the same w_o, so backward adds up what each position sends to a weight:
dL/dw_o[c, di, dj] = sum over i, j of dL/dz_o[i][j] * x[c][i*stride + di][j*stride + dj]. The engine
does this sum by itself: a Value used in many places collects the gradient of every use.
"""

import functools
import math

import engine
from engine import Value
from engine.checks import real_number, shortened
from nn.checks import whole_number
from nn.layers import Neuron, activation_function
from nn.modules import Module, random_generator


class Conv2d(Module):
    """A 2-D convolution: ``out_channels`` kernels, each a ``Neuron`` applied at every position of the image.

    Each output position is one ``engine.dot`` node, act(w . field + b), whose parents are the kernel's
    weights and bias and the receptive field's inputs, so a drawing of it shows the window it saw.
    Kernel o's weights are ``kernels[o].w``, in (input channel, row, column) order: PyTorch's
    ``weight[o].flatten()``. Padding adds zeros around each channel; they are constants (0.0), not Values.

    Args:
        in_channels, out_channels: channels of the input image and of the output.
        kernel_size: the side of the square window each kernel sees.
        stride: how far the window moves between output positions.
        padding: rows and columns of zeros added on every side first.
        activation: a name in ``nn.ACTIVATIONS``, applied to every output ("linear" for none).
        init: "he", "xavier" or "uniform" (see ``nn.initial_weights``), with fan_in =
            in_channels * kernel_size**2 (and fan_out = out_channels * kernel_size**2, for "xavier").
        seed: an int (or a ``random.Random``) for reproducible weights; None draws fresh ones.

    Returns (when called on one image, channels x height x width): out_channels x height' x width',
    with height' = (height + 2 * padding - kernel_size) // stride + 1, and width' alike.

    >>> conv = Conv2d(1, 2, kernel_size=2, seed=0)
    >>> out = conv([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])   # 1 x 3 x 3
    >>> len(out), len(out[0]), len(out[0][0])                               # 2 x 2 x 2
    (2, 2, 2)
    >>> out[0][1][0].data == conv.kernels[0]([4.0, 5.0, 7.0, 8.0]).data     # kernel 0 at row 1, column 0
    True
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, activation="linear", init="he",
                 seed=None):
        self.in_channels = whole_number(in_channels, "in_channels")
        self.out_channels = whole_number(out_channels, "out_channels")
        self.kernel_size = whole_number(kernel_size, "kernel_size")
        self.stride = whole_number(stride, "stride")
        self.padding = whole_number(padding, "padding", smallest=0)
        self.activation = activation
        self._activate = activation_function(activation)
        rng = random_generator(seed)
        fan_in, fan_out = in_channels * kernel_size**2, out_channels * kernel_size**2
        # A kernel is a neuron over its receptive field: the same weights, biases, names and saved form.
        self.kernels = [Neuron(fan_in, activation, init, rng, fan_out=fan_out) for _ in range(out_channels)]
        self._label_parameters()

    def __call__(self, x):
        channels, height, width, pixels = _image(x, self)
        if channels != self.in_channels:
            raise ValueError(f"{self!r} expects {self.in_channels} input channel(s), got an image of "
                             f"{channels} x {height} x {width} (channels x height x width)")
        size, padding = self.kernel_size, self.padding
        if padding:
            pixels = _padded(pixels, channels, height, width, padding)
            height, width = height + 2 * padding, width + 2 * padding
        if size > height or size > width:
            raise ValueError(f"{self!r}: the {size} x {size} kernel does not fit in the {height} x {width} image "
                             f"(padding {padding} included); use a smaller kernel_size or more padding")
        rows, columns, windows = _windows(channels, height, width, size, self.stride)
        weights = [kernel.w for kernel in self.kernels]
        biases = [kernel.b for kernel in self.kernels]
        # One engine.dots call per position computes every kernel's sum there: the receptive field is read once.
        sums = [engine.dots(weights, tuple(map(pixels.__getitem__, window)), biases) for window in windows]
        if self._activate is not None:
            sums = [list(map(self._activate, position)) for position in sums]
        # sums holds each position's channels; the output is each channel's positions, row by row.
        return _nested([z for plane in zip(*sums) for z in plane], rows, columns)

    def _describe(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, activation={self.activation!r}")


class MaxPool2d(Module):
    """The largest input of each kernel_size x kernel_size window, channel by channel; no parameters.

    Each output *is* the input that won its window, the very same Value, not a new node: max(x1, ..., xn)
    has derivative 1 with respect to the winner and 0 for the others, so passing the winner on routes
    the gradient exactly where a max node would, with nothing added to the graph. On a tie the first
    maximum (row by row) wins and gets all of the gradient, as in ``torch.nn.MaxPool2d``; a nan wins over
    every number. (``engine.max`` shares a tie evenly instead, as ``torch.max`` of a tensor does.)

    Args:
        kernel_size: the side of the square window.
        stride: how far the window moves; None (the default, as in PyTorch) moves it by kernel_size,
            so that windows do not overlap.

    >>> pool = MaxPool2d(2)
    >>> pool([[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 8.0]]])                # 1 x 2 x 4 -> 1 x 1 x 2
    [[[5.0, 8.0]]]
    """

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = whole_number(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else whole_number(stride, "stride")

    def __call__(self, x):
        channels, height, width, pixels = _image(x, self)
        size = self.kernel_size
        if size > height or size > width:
            raise ValueError(f"{self!r}: the {size} x {size} window does not fit in the {height} x {width} image; "
                             f"use a smaller kernel_size")
        rows, columns, windows = _windows(channels, height, width, size, self.stride, each_channel=True)
        numbers = [pixel.data if isinstance(pixel, Value) else pixel for pixel in pixels]
        if any(map(math.isnan, numbers)):  # (is nan, number) puts a nan above every number
            numbers = [(number != number, number) for number in numbers]
        # max returns the first of equal largest numbers: the first maximum of the window, row by row.
        winners = [pixels[max(window, key=numbers.__getitem__)] for window in windows]
        return _nested(winners, rows, columns)

    def _describe(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class Flatten(Module):
    """One image, channels x height x width, as one flat list in (channel, row, column) order.

    What ``torch.nn.Flatten`` gives for one image: it joins a convolution's output to a ``Layer``.
    The entries pass through unchanged (numbers become floats); no parameters.

    >>> Flatten()([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])   # 2 x 2 x 2 -> 8
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    """

    def __call__(self, x):
        return _image(x, self)[3]


# -------------------------------------------------------------------- reading images and finding windows


def _image(x, module):
    """``(channels, height, width, pixels)`` of one image, ``pixels`` its entries in C, H, W order.

    Entries are read once, here: Values as themselves, numbers as floats, so the layers only index
    ``pixels``. Anything that is not channels x height x width of numbers or Values is an error naming
    ``module`` and what came.
    """
    try:
        channels, height, width = len(x), len(x[0]), len(x[0][0])
        if isinstance(x[0][0], (str, bytes)):
            raise TypeError
    except (TypeError, IndexError, KeyError):
        raise _not_an_image(module, f"got {_what_came(x)}") from None
    pixels = []
    for c, channel in enumerate(x):
        if len(channel) != height:
            raise _not_an_image(module, f"channel {c} has {len(channel)} rows, channel 0 has {height}")
        for r, row in enumerate(channel):
            if len(row) != width:
                raise _not_an_image(module, f"row {r} of channel {c} has {len(row)} entries, row 0 of channel 0 has {width}")
            pixels.extend(row)
    if _FLOAT_OR_VALUE.issuperset(map(type, pixels)):  # the usual case, checked at C speed
        return channels, height, width, pixels
    for i, pixel in enumerate(pixels):
        if type(pixel) is not float and not isinstance(pixel, Value):
            if hasattr(pixel, "__len__") and not isinstance(pixel, (str, bytes)):
                raise _not_an_image(module, f"got {_what_came(x)}")
            c, rest = divmod(i, height * width)
            pixels[i] = real_number(pixel, f"{module!r}: the input at [{c}][{rest // width}][{rest % width}]")
    return channels, height, width, pixels


_FLOAT_OR_VALUE = {float, Value}


def _not_an_image(module, problem):
    return ValueError(f"{module!r} takes one image as channels x height x width (a list of channels, each a list "
                      f"of rows); {problem}")


def _what_came(x):
    """What ``x`` is, for an error: its sizes along the first entries, and how to fix the usual mistakes."""
    sizes, first = [], x
    while len(sizes) < 5 and not isinstance(first, (str, bytes)):
        try:
            sizes.append(len(first))
            first = first[0]
        except (TypeError, IndexError, KeyError):
            break
    shape = " x ".join(map(str, sizes))
    if not sizes:
        return f"{type(x).__name__}: {shortened(x)}"
    if sizes == [0]:
        return "an empty list"
    if len(sizes) == 1:
        return (f"a flat list of {sizes[0]} entries; reshape it, e.g. an 8x8 grey image is [[row0, row1, ..., row7]], "
                f"one channel of 8 rows")
    if len(sizes) == 2:
        return f"{shape}, one channel's rows? A one-channel image is a list around its rows: [rows]"
    return f"{shape}; one image at a time, not a batch"


def _padded(pixels, channels, height, width, padding):
    """The flat C, H, W image with ``padding`` zeros on every side of every channel.

    The zeros are constants (0.0), not Values: nothing there is learned, so they add no node or edge.
    """
    zero_rows, zero_edge = [0.0] * ((width + 2 * padding) * padding), [0.0] * padding
    padded = []
    for c in range(channels):
        padded += zero_rows
        for r in range(height):
            start = (c * height + r) * width
            padded += zero_edge + pixels[start:start + width] + zero_edge
        padded += zero_rows
    return padded


def _nested(flat, rows, columns):
    """A flat C, H, W list of channels that are rows x columns each, as nested lists: channels x rows x columns."""
    plane = rows * columns
    return [[flat[start:start + columns] for start in range(top, top + plane, columns)] for top in range(0, len(flat), plane)]


@functools.lru_cache(maxsize=64)
def _windows(channels, height, width, size, stride, each_channel=False):
    """``(rows, columns, windows)``: where each size x size window of a flat C, H, W image sits.

    One tuple of indices per output position, the positions row by row. A convolution's window spans
    every channel: its tuple lists channel 0's window row by row, then channel 1's, ...: the order of a
    kernel's weights. With ``each_channel`` (pooling), each window lies in one channel: channel 0's
    positions come first, then channel 1's, ... Cached, since every image of a data set has the same shape.
    """
    plane = height * width
    rows, columns = (height - size) // stride + 1, (width - size) // stride + 1
    starts = [r * stride * width + c * stride for r in range(rows) for c in range(columns)]
    window = [dr * width + dc for dr in range(size) for dc in range(size)]
    if each_channel:
        starts = [c * plane + start for c in range(channels) for start in starts]
    else:
        window = [c * plane + offset for c in range(channels) for offset in window]
    return rows, columns, tuple(tuple(start + offset for offset in window) for start in starts)
