"""chainrule's engine: scalar reverse-mode automatic differentiation you can read, draw and explain.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.005364
"""

from engine.value import Value
from engine.operation import operation
from engine.operations import FUNCTIONS
from engine.fused import dot, dots, max, sum
from engine.modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from engine.backward import topological_order
from engine.functional import grad, hessian, hvp, jacobian, jvp, value_and_grad
from engine.gradcheck import GradcheckError, GradcheckReport, gradcheck
from engine.draw import draw
from engine.explain import explain
from engine.steps import backward_steps
from engine.stepper import stepper

__all__ = [
    "Value",
    "operation",
    "FUNCTIONS",
    "sum",
    "max",
    "dot",
    "dots",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "detect_anomaly",
    "topological_order",
    "grad",
    "value_and_grad",
    "hessian",
    "hvp",
    "jvp",
    "jacobian",
    "gradcheck",
    "GradcheckReport",
    "GradcheckError",
    "draw",
    "explain",
    "backward_steps",
    "stepper",
]
