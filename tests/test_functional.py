"""Functional gradients (grad, value_and_grad) and the gradient checker, including a test of the checker."""

import math

import pytest

import engine
from engine import GradcheckError, Value, grad, gradcheck, no_grad, value_and_grad


def test_grad_and_value_and_grad_return_floats():
    assert grad(lambda x: x**3)(2.0) == 12.0
    value, grads = value_and_grad(lambda x, y: x * y + y.exp(), argnums=(0, 1))(3.0, 0.0)
    assert value == 1.0 and grads == (0.0, 4.0)
    assert isinstance(grads[0], float)


def test_grad_leaves_the_callers_values_alone_and_works_inside_no_grad():
    x = Value(2.0)
    with no_grad():
        assert grad(lambda v: v * v)(x) == 4.0
    assert x.grad == 0.0


def test_non_differentiated_arguments_pass_through():
    f = grad(lambda x, scale: x * scale, argnums=0)
    assert f(1.0, 5.0) == 5.0


def test_a_constant_function_has_zero_gradient():
    assert value_and_grad(lambda x: 7.0)(1.0) == (7.0, 0.0)


@pytest.mark.parametrize("argnums, error", [(1.5, TypeError), ((), ValueError), ((0, -1), ValueError), (True, TypeError)])
def test_bad_argnums(argnums, error):
    with pytest.raises(error, match="argnums"):
        grad(lambda x: x, argnums=argnums)


def test_argnums_out_of_range_and_bad_arguments():
    with pytest.raises(ValueError, match="argument 2"):
        grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TypeError, match="argument 0"):
        grad(lambda x: x)("1.0")
    with pytest.raises(TypeError, match="callable"):
        grad(3)


def test_gradcheck_passes_a_correct_gradient_and_reports_every_input():
    report = gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, 0.3, 1.7)
    assert report and report.passed
    assert [row.name for row in report.rows] == ["x", "y"]
    text = str(report)
    assert "analytic" in text and "numeric" in text and "all inputs pass" in text
    html = report._repr_html_()
    assert html.startswith("<table>") and html.count("<tr") == 3


def test_gradcheck_passes_an_operation_of_your_own():
    @engine.operation
    def softplus(x):
        return math.log1p(math.exp(x)), (1 / (1 + math.exp(-x)),)

    assert gradcheck(lambda x, y: softplus(x * y), 0.4, -1.3)


def test_gradcheck_catches_a_deliberately_wrong_derivative():
    @engine.operation
    def sin(x):  # the right value, a wrong local derivative
        return math.sin(x), (1.1 * math.cos(x),)

    report = gradcheck(lambda x: sin(x), 0.4)
    assert not report
    assert "FAIL" in str(report) and "NO" in str(report)
    assert "color:#b00020" in report._repr_html_()
    with pytest.raises(GradcheckError, match="gradient check failed"):
        gradcheck(lambda x: sin(x), 0.4, raise_on_failure=True)


def test_gradcheck_fails_on_nan_rather_than_passing():
    assert not gradcheck(lambda x: x.log(), -1.0)


def test_gradcheck_bad_settings():
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda x: x)
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda x: x, 1.0, eps=0)
    with pytest.raises(ValueError, match="atol"):
        gradcheck(lambda x: x, 1.0, atol=-1)


def test_values_passed_but_not_differentiated_are_left_alone():
    w = Value(3.0)
    value, grad_a = value_and_grad(lambda a, c: a * c)(2.0, w)
    assert (value, grad_a) == (6.0, 3.0)
    assert w.grad == 0.0
