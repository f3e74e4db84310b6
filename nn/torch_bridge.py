"""Graduation to PyTorch: the same network as a ``torch.nn.Sequential``, carrying the same weights.

When a model outgrows a scalar engine, this is the next step: the layers map one to one
(``Layer`` -> ``Linear`` + activation, ``Dropout`` -> ``Dropout``, ``Conv2d`` -> ``Conv2d`` +
activation, ``MaxPool2d`` -> ``MaxPool2d``, ``Flatten`` -> ``Flatten``), in float64 so that outputs
and gradients agree with chainrule's to about 1e-15. PyTorch is optional: it is imported here, when
asked for, and never by ``import nn``.

A chainrule model takes one example at a time; its twin takes a batch (a first dimension of N
examples) or, like PyTorch's own layers, one example without it: (N, nin) or (nin,) for a ``Layer``,
(N, C, H, W) or (C, H, W) for an image.
"""

from nn.conv import Conv2d, Flatten, MaxPool2d
from nn.layers import Dropout, Layer, Neuron, Sequential
from nn.modules import Module


def to_torch(model):
    """An equivalent float64 ``torch.nn.Sequential`` with a copy of ``model``'s weights.

    Supports ``MLP``, ``Sequential`` of ``Layer``, ``Dropout``, ``Conv2d``, ``MaxPool2d`` and ``Flatten``,
    and each of those (or a ``Neuron``) on its own. The torch model's train/eval mode follows ``model``'s.
    Changing one model later does not change the other.

    >>> from nn import MLP
    >>> net = MLP(2, [3, 1], seed=0).to_torch()      # doctest: +SKIP
    >>> net                                          # doctest: +SKIP
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    """
    if type(model).to_torch is not to_torch:  # a module with a twin of its own: LSTMCell, LSTM
        return model.to_torch()
    torch = _import_torch()
    net = torch.nn.Sequential(*_convert(model, torch))
    return net.train(model.training)


# model.to_torch() on every Module. Installed from here, not written in nn/modules.py, because this file
# needs the layers and they are built on Module: a method there would make an import circle.
Module.to_torch = to_torch


def _convert(part, torch):
    """The torch modules that do what ``part`` does: a list, since an activation is a module of its own."""
    if isinstance(part, Sequential):  # an MLP too; a Sequential inside one unrolls into it
        return [module for layer in part.layers for module in _convert(layer, torch)]
    if isinstance(part, Dropout):
        return [torch.nn.Dropout(part.p)]
    if isinstance(part, Conv2d):
        return [_conv2d(part, torch)] + _activation(part.activation, torch)
    if isinstance(part, MaxPool2d):
        return [torch.nn.MaxPool2d(part.kernel_size, part.stride)]
    if isinstance(part, Flatten):
        # The last three dimensions, C, H, W: (N, C, H, W) -> (N, C*H*W), and one image (C, H, W) -> (C*H*W,).
        return [torch.nn.Flatten(start_dim=-3)]
    if isinstance(part, Neuron):
        neurons, activation = [part], part.activation
    elif isinstance(part, Layer):
        neurons, activation = part.neurons, part.activation
    else:
        raise TypeError(f"to_torch has no PyTorch equivalent for {type(part).__name__} (it converts Sequential "
                        f"models and MLPs made of Layer, Neuron, Dropout, Conv2d, MaxPool2d and Flatten, and each of those)")
    linear = torch.nn.Linear(len(neurons[0].w), len(neurons), dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
        linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
    return [linear] + _activation(activation, torch)


def _conv2d(conv, torch):
    """``torch.nn.Conv2d`` with ``conv``'s kernels: kernel o's weights, in (channel, row, column) order, are weight[o]."""
    size = conv.kernel_size
    twin = torch.nn.Conv2d(conv.in_channels, conv.out_channels, size, conv.stride, conv.padding, dtype=torch.float64)
    with torch.no_grad():
        weights = torch.tensor([[w.data for w in kernel.w] for kernel in conv.kernels], dtype=torch.float64)
        twin.weight.copy_(weights.reshape(conv.out_channels, conv.in_channels, size, size))
        twin.bias.copy_(torch.tensor([kernel.b.data for kernel in conv.kernels], dtype=torch.float64))
    return twin


def _activation(name, torch):
    """The torch module that does what activation ``name`` does: nothing for "linear".

    PyTorch's own module where there is one; otherwise a module that applies ``torch.<name>`` (or
    ``torch.nn.functional.<name>``), so every function of ``engine.FUNCTIONS`` converts.
    """
    if name == "linear":
        return []
    modules = {
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "softplus": torch.nn.Softplus,  # beta 1, threshold 20: the engine's softplus
        "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),  # the engine's default slope
    }
    if name in modules:
        return [modules[name]()]
    function = getattr(torch, name, None) or getattr(torch.nn.functional, name)

    class Elementwise(torch.nn.Module):
        def forward(self, x):
            return function(x)

        def extra_repr(self):
            return name

    return [Elementwise()]


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "to_torch needs PyTorch, which chainrule does not install by itself: pip install torch"
        ) from None
    return torch
