"""The test row of each of the engine's functions: where it needs care, and its PyTorch twin.

The property tests and the PyTorch parity corpus read this table, and ``test_every_function_has_a_row``
fails for a function of ``engine.FUNCTIONS`` without a row: adding an operation to the engine is its
rule, its place in ``FUNCTIONS``, and one row here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """kink: the derivative jumps at 0 (tests step around it); positive: defined (and smooth) only for x > 0.

    ``torch(torch, x)`` computes the same function on a float64 tensor.
    """

    torch: object
    kink: bool = False
    positive: bool = False


ROWS = {
    "neg": Row(lambda torch, x: -x),
    "abs": Row(lambda torch, x: x.abs(), kink=True),
    "exp": Row(lambda torch, x: x.exp()),
    "log": Row(lambda torch, x: x.log(), positive=True),
    "sqrt": Row(lambda torch, x: x.sqrt(), positive=True),
    "tanh": Row(lambda torch, x: x.tanh()),
    "sigmoid": Row(lambda torch, x: x.sigmoid()),
    "relu": Row(lambda torch, x: x.relu(), kink=True),
    "leaky_relu": Row(lambda torch, x: torch.nn.functional.leaky_relu(x, 0.01), kink=True),
    "softplus": Row(lambda torch, x: torch.nn.functional.softplus(x)),
    "sin": Row(lambda torch, x: x.sin()),
    "cos": Row(lambda torch, x: x.cos()),
}
