"""Optimizers, schedules and clipping against torch.optim and torch.nn.utils, in float64."""

import math
import random

import pytest

from engine import Value
from nn import (
    SGD,
    Adam,
    AdamW,
    RMSprop,
    clip_grad_norm,
    clip_grad_value,
    cosine_decay,
    linear_decay,
    step_decay,
)

STEPS = 25

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.3)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5)),
]
OURS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop}


@pytest.mark.parametrize("name, settings", CONFIGS, ids=[f"{n}-{s}" for n, s in CONFIGS])
def test_updates_match_torch_optim_step_by_step(torch, name, settings):
    rng = random.Random(0)
    start = [rng.uniform(-2, 2) for _ in range(6)]
    # Each step's gradient depends on the current weights (a quadratic bowl) plus noise, so that a
    # difference in any step would grow instead of being hidden.
    centres = [rng.uniform(-1, 1) for _ in start]
    noise = [[rng.gauss(0, 0.5) for _ in start] for _ in range(STEPS)]

    ours = [Value(x) for x in start]
    optimizer = OURS[name](ours, **settings)
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    reference = getattr(torch.optim, name)([theirs], **settings)
    for step in range(STEPS):
        for p, c, e in zip(ours, centres, noise[step]):
            p.grad = 2.0 * (p.data - c) + e
        theirs.grad = 2.0 * (theirs.detach() - torch.tensor(centres)) + torch.tensor(noise[step])
        optimizer.step()
        reference.step()
        assert [p.data for p in ours] == pytest.approx(theirs.tolist(), rel=1e-12, abs=1e-12), f"step {step + 1}"
    assert [p.data for p in ours] != pytest.approx(start, abs=1e-3)  # the weights did move


def test_zero_grad_clears_the_gradients():
    params = [Value(1.0), Value(2.0)]
    for p in params:
        p.grad = 3.0
    SGD(params, lr=0.1).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: SGD(ps, lr=0.0), "lr must be > 0, got 0.0"),
        (lambda ps: SGD(ps, lr=-1), "lr must be > 0"),
        (lambda ps: SGD(ps, lr=float("nan")), "lr must be a finite number"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum must be >= 0"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov=True needs a momentum > 0"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "weight_decay must be >= 0"),
        (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\), got 1.0"),
        (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
        (lambda ps: Adam(ps, betas=0.9), "betas must be a pair"),
        (lambda ps: AdamW(ps, eps=-1e-8), "eps must be >= 0"),
        (lambda ps: RMSprop(ps, alpha=1.5), r"alpha must be in \[0, 1\)"),
        (lambda ps: SGD([], lr=0.1), "no parameters"),
    ],
)
def test_invalid_hyperparameters_are_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_an_optimizer_only_takes_values():
    with pytest.raises(TypeError, match="float"):
        SGD([1.0], lr=0.1)


# -------------------------------------------------------------------- schedules


def _torch_schedule(torch, make_scheduler, epochs):
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_step_decay_matches_step_lr(torch):
    ours = step_decay(1.0, step_size=7, gamma=0.3)
    theirs = _torch_schedule(torch, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3), 30)
    assert [ours(k) for k in range(30)] == pytest.approx(theirs, rel=1e-12)


def test_cosine_decay_matches_cosine_annealing(torch):
    ours = cosine_decay(1.0, 20, min_lr=0.05)
    theirs = _torch_schedule(torch, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.05), 21)
    assert [ours(k) for k in range(21)] == pytest.approx(theirs, rel=1e-12)


def test_linear_decay_is_micrographs_schedule_exactly():
    schedule = linear_decay(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert schedule(100) == schedule(250) == pytest.approx(0.1)


def test_linear_decay_matches_linear_lr(torch):
    ours = linear_decay(0.5, 0.05, 10)
    theirs = _torch_schedule(
        torch, lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.5, end_factor=0.05, total_iters=10), 15
    )
    assert [ours(k) for k in range(15)] == pytest.approx(theirs, rel=1e-12)


def test_schedules_from_a_huge_rate_do_not_overflow():
    # fit refuses an infinite rate; a schedule must not make one from a finite start.
    cosine, linear = cosine_decay(1e308, 10), linear_decay(1e308, 1e307, 10)
    assert cosine(0) == 1e308 and cosine(10) == 0.0 and all(math.isfinite(cosine(k)) for k in range(12))
    assert linear(0) == 1e308 and linear(10) == pytest.approx(1e307) and all(math.isfinite(linear(k)) for k in range(12))


@pytest.mark.parametrize(
    "make",
    [lambda: step_decay(0.0, 10), lambda: step_decay(1.0, 0), lambda: linear_decay(1.0, -0.1, 10), lambda: cosine_decay(1.0, 0)],
)
def test_bad_schedules_are_value_errors(make):
    with pytest.raises(ValueError):
        make()


# -------------------------------------------------------------------- clipping


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
def test_clip_grad_norm_matches_torch(torch, max_norm):
    grads = [random.Random(4).gauss(0, 2) for _ in range(7)]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    norm = clip_grad_norm(params, max_norm)
    t = torch.zeros(7, requires_grad=True)
    t.grad = torch.tensor(grads)
    reference_norm = torch.nn.utils.clip_grad_norm_([t], max_norm)
    assert norm == pytest.approx(reference_norm.item(), rel=1e-12)
    assert [p.grad for p in params] == pytest.approx(t.grad.tolist(), rel=1e-12)
    assert math.hypot(*(p.grad for p in params)) <= max_norm + 1e-9


def test_clip_grad_value_matches_torch(torch):
    grads = [-5.0, -0.5, 0.0, 0.3, 2.5]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    clip_grad_value(params, 1.0)
    t = torch.zeros(5, requires_grad=True)
    t.grad = torch.tensor(grads)
    torch.nn.utils.clip_grad_value_([t], 1.0)
    assert [p.grad for p in params] == t.grad.tolist() == [-1.0, -0.5, 0.0, 0.3, 1.0]
    with pytest.raises(ValueError, match="clip must be > 0"):
        clip_grad_value(params, 0)
