"""Optimizers, learning-rate schedules and gradient clipping.

An optimizer holds the parameters and whatever it remembers about each (a velocity, running
averages); ``step()`` moves every parameter using its ``grad``. The update rules follow
``torch.optim`` operation for operation, so the same gradients give the same weights (tests check
20 steps against PyTorch to 1e-12). Schedules are plain functions from the epoch number to a
learning rate: set ``optimizer.lr = schedule(epoch)`` (``fit`` does it for you).
"""

import math

from engine import Value
from nn.checks import fraction, non_negative, positive, whole_number

# -------------------------------------------------------------------- optimizers


class Optimizer:
    """What all optimizers share: the parameter list, the learning rate, and ``zero_grad()``."""

    def __init__(self, parameters, lr):
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("the optimizer got no parameters; pass model.parameters()")
        for p in self.parameters:
            if not isinstance(p, Value):
                raise TypeError(f"an optimizer updates Values, got {type(p).__name__}: {p!r}")
        self.lr = positive(lr, "lr")

    def zero_grad(self):
        """Set every parameter's grad to 0: leaves accumulate across ``backward()`` calls."""
        for p in self.parameters:
            p.grad = 0.0

    def step(self):
        raise NotImplementedError

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if isinstance(v, (int, float, bool, tuple)))
        return f"{type(self).__name__}({len(self.parameters)} parameters, {settings})"


class SGD(Optimizer):
    """Gradient descent: p <- p - lr * g, with PyTorch's momentum, Nesterov and weight decay.

        g <- grad + weight_decay * p                                 (L2 regularisation)
        v <- g on the first step, then momentum * v + g              (a running direction)
        p <- p - lr * v             or, with nesterov,  p <- p - lr * (g + momentum * v)

    >>> w = Value(1.0); w.grad = 0.5
    >>> SGD([w], lr=0.1).step(); w.data
    0.95
    """

    def __init__(self, parameters, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(parameters, lr)
        self.momentum = non_negative(momentum, "momentum")
        self.nesterov = bool(nesterov)
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.velocity = None  # one number per parameter, created on the first step

    def step(self):
        """Move every parameter one step against its gradient."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if momentum == 0.0:
            for p in self.parameters:
                p.data -= lr * (p.grad + decay * p.data if decay else p.grad)
            return
        first = self.velocity is None
        if first:
            self.velocity = [0.0] * len(self.parameters)
        velocity = self.velocity
        for i, p in enumerate(self.parameters):
            g = p.grad + decay * p.data if decay else p.grad
            v = velocity[i] = g if first else momentum * velocity[i] + g
            p.data -= lr * (g + momentum * v if self.nesterov else v)


class Adam(Optimizer):
    """Adam: a step per parameter scaled by running averages of its gradient and squared gradient.

        m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2            (t counts steps)
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    Parameters with small, steady gradients get larger steps than with large, noisy ones.
    ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2), as ``torch.optim.Adam`` does.

    >>> w = Value(1.0); w.grad = 0.5
    >>> Adam([w], lr=0.1).step(); round(w.data, 6)        # the first step has size lr
    0.9
    """

    decoupled = False  # AdamW: decay the weights directly instead of adding to the gradient

    def __init__(self, parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(parameters, lr)
        b1, b2 = _betas(betas)
        self.betas = (b1, b2)
        self.eps = non_negative(eps, "eps")
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.t = 0
        self.m = [0.0] * len(self.parameters)
        self.v = [0.0] * len(self.parameters)

    def step(self):
        """Move every parameter one Adam step."""
        self.t += 1
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        b1, b2 = self.betas
        step_size = lr / (1.0 - b1**self.t)
        correction2 = math.sqrt(1.0 - b2**self.t)
        m, v = self.m, self.v
        for i, p in enumerate(self.parameters):
            g = p.grad
            if decay and self.decoupled:
                p.data *= 1.0 - lr * decay
            elif decay:
                g = g + decay * p.data
            m[i] += (g - m[i]) * (1.0 - b1)  # = b1 m + (1 - b1) g, written as PyTorch's lerp
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / correction2 + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr * weight_decay) before the Adam step.

    Unlike L2 in Adam, the decay is not divided by sqrt(v), so every weight shrinks at the same rate.

    >>> w = Value(1.0); w.grad = 0.0
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); w.data   # 1 * (1 - 0.1 * 0.5)
    0.95
    """

    decoupled = True

    def __init__(self, parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(parameters, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root mean square of that parameter's gradients.

        s <- alpha s + (1 - alpha) g^2
        p <- p - lr * g / (sqrt(s) + eps)        (with momentum: v <- momentum v + g / (sqrt(s) + eps); p <- p - lr v)

    >>> w = Value(1.0); w.grad = 0.5
    >>> RMSprop([w], lr=0.01).step(); round(w.data, 4)      # 0.5 / sqrt(0.01 * 0.25) = 10
    0.9
    """

    def __init__(self, parameters, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0):
        super().__init__(parameters, lr)
        self.alpha = fraction(alpha, "alpha")
        self.eps = non_negative(eps, "eps")
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.momentum = non_negative(momentum, "momentum")
        self.square_average = [0.0] * len(self.parameters)
        self.velocity = [0.0] * len(self.parameters)

    def step(self):
        """Move every parameter one RMSprop step."""
        lr, alpha, eps, decay, momentum = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        s, velocity = self.square_average, self.velocity
        for i, p in enumerate(self.parameters):
            g = p.grad + decay * p.data if decay else p.grad
            s[i] = alpha * s[i] + (1.0 - alpha) * g * g
            scaled = g / (math.sqrt(s[i]) + eps)
            if momentum:
                velocity[i] = momentum * velocity[i] + scaled
                p.data -= lr * velocity[i]
            else:
                p.data -= lr * scaled


# -------------------------------------------------------------------- schedules
# Each returns a function of the epoch (0, 1, 2, ...) giving that epoch's learning rate.


def step_decay(lr, step_size, gamma=0.1):
    """lr * gamma^(epoch // step_size): drop by a factor ``gamma`` every ``step_size`` epochs (``StepLR``).

    >>> schedule = step_decay(1.0, step_size=10, gamma=0.5)
    >>> schedule(0), schedule(9), schedule(10), schedule(25)
    (1.0, 1.0, 0.5, 0.25)
    """
    lr, gamma = positive(lr, "lr"), positive(gamma, "gamma")
    step_size = whole_number(step_size, "step_size")

    def step_decay_lr(epoch):
        return lr * gamma ** (epoch // step_size)

    return step_decay_lr


def linear_decay(start, end, epochs):
    """From ``start`` to ``end`` in a straight line over ``epochs``, then ``end``.

    micrograd's demo is ``linear_decay(1.0, 0.1, 100)``: lr = 1.0 - 0.9 * k / 100.

    >>> schedule = linear_decay(1.0, 0.1, 100)
    >>> schedule(0), round(schedule(50), 10), round(schedule(100), 10)
    (1.0, 0.55, 0.1)
    """
    start, end = positive(start, "start"), non_negative(end, "end")
    epochs = whole_number(epochs, "epochs")

    def linear_decay_lr(epoch):
        done = min(epoch, epochs)
        drop = (start - end) * done  # micrograd's order of operations, so that its rates come out exactly
        if math.isinf(drop):  # only from a start near the largest float: then divide first
            return start - (start - end) * (done / epochs)
        return start - drop / epochs

    return linear_decay_lr


def cosine_decay(lr, epochs, min_lr=0.0):
    """min_lr + (lr - min_lr) (1 + cos(pi * epoch / epochs)) / 2: a half cosine down to ``min_lr``.

    The same curve as ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=epochs, eta_min=min_lr)``.

    >>> schedule = cosine_decay(1.0, 10)
    >>> schedule(0), round(schedule(5), 10), schedule(10)
    (1.0, 0.5, 0.0)
    """
    lr, min_lr = positive(lr, "lr"), non_negative(min_lr, "min_lr")
    epochs = whole_number(epochs, "epochs")

    def cosine_decay_lr(epoch):
        # The factor in [0, 1] is formed first, so that a huge lr is never doubled past the largest float.
        return min_lr + (lr - min_lr) * ((1.0 + math.cos(math.pi * min(epoch, epochs) / epochs)) / 2.0)

    return cosine_decay_lr


# -------------------------------------------------------------------- clipping


def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their joint L2 norm is at most ``max_norm``.

    The direction of the step is kept; only its length is capped, which tames exploding gradients.
    As ``torch.nn.utils.clip_grad_norm_``: the factor is max_norm / (norm + 1e-6), applied when
    below 1. Returns the norm before clipping.

    >>> a, b = Value(0.0), Value(0.0); a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    parameters = list(parameters)
    max_norm = positive(max_norm, "max_norm")
    norm = math.sqrt(math.fsum(p.grad * p.grad for p in parameters))
    factor = max_norm / (norm + 1e-6)
    if factor < 1.0:
        for p in parameters:
            p.grad *= factor
    return norm


def clip_grad_value(parameters, clip):
    """Clamp each gradient into [-clip, clip] (``torch.nn.utils.clip_grad_value_``).

    >>> a = Value(0.0); a.grad = -7.0
    >>> clip_grad_value([a], 2.0); a.grad
    -2.0
    """
    clip = positive(clip, "clip")
    for p in parameters:
        p.grad = min(max(p.grad, -clip), clip)


# -------------------------------------------------------------------- checking settings


def _betas(betas):
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    return fraction(b1, "betas[0]"), fraction(b2, "betas[1]")
