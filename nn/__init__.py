"""nn: neural networks on chainrule's scalar Values, and the loop that trains them.

Everything is built from ``engine`` Values, so every weight's gradient can be drawn and explained.

>>> from nn import MLP, SGD, hinge_loss, l2_penalty, datasets, linear_decay
>>> X, y = datasets.moons(100, noise=0.1, seed=0)
>>> labels = [2 * t - 1 for t in y]                       # hinge loss wants -1 / 1
>>> model = MLP(2, [16, 16, 1], init="uniform", seed=1)
>>> optimizer = SGD(model.parameters(), lr=1.0)
>>> loss = hinge_loss([model(x) for x in X], labels) + l2_penalty(model.parameters(), 1e-4)
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

from nn import datasets
from nn.callbacks import Callback, DeadReLUs, GradientNorms, KeepBest, UpdateRatios, activations, dead_relu_fraction
from nn.tensorboard import TensorBoard
from nn.layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron, Residual, Sequential
from nn.conv import Conv2d, Flatten, MaxPool2d
from nn.modules import Module, initial_weights
from nn.recurrent import LSTM, RNN, LSTMCell, RNNCell
from nn.losses import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    softmax,
)
from nn.optim import (
    SGD,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    clip_grad_norm,
    clip_grad_value,
    cosine_decay,
    linear_decay,
    step_decay,
)
from nn.serialize import load, load_state_dict, save, state_dict
from nn.history import History
from nn.network_view import draw_network
from nn.metrics import accuracy, evaluate
from nn.train import TrainingDiverged, fit
from nn.torch_bridge import to_torch

__all__ = [
    "datasets",
    "Module", "Neuron", "Layer", "Sequential", "MLP", "Dropout", "Residual", "RNNCell", "RNN", "LSTMCell", "LSTM", "initial_weights",
    "Conv2d", "MaxPool2d", "Flatten",
    "ACTIVATIONS",
    "mse_loss", "hinge_loss", "binary_cross_entropy", "bce_with_logits", "cross_entropy", "softmax",
    "l1_penalty", "l2_penalty",
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "step_decay", "linear_decay", "cosine_decay",
    "clip_grad_norm", "clip_grad_value",
    "state_dict", "load_state_dict", "save", "load",
    "fit", "evaluate", "accuracy", "TrainingDiverged",
    "dead_relu_fraction", "activations", "History", "Callback", "GradientNorms", "UpdateRatios", "DeadReLUs", "KeepBest",
    "TensorBoard",
    "to_torch", "draw_network",
]
