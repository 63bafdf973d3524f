"""Benchmark 2: the cost of gradient checking.

(a) Directional check on the 784-256-128-10 network (batch 16, float64, 235,146 parameters):
    ``check_gradient_directional(f, model.params, model.grads, num_directions=K)`` with
    ``f = lambda _: model.loss(X, y)``, per direction, against
    ``torch.autograd.gradcheck(fast_mode=True)`` on the same function in torch (every parameter an
    input requiring grad, double precision). One fast-mode call checks one random direction (torch
    takes a finite difference along it per input tensor), so torch's time per call is its time per
    direction.
(b) Elementwise check, per parameter: ``check_model_gradient(model, X, y)`` (every parameter of the
    network) against ``torch.autograd.gradcheck(fast_mode=False)`` on smaller problems that finish:
    the whole 2-16-16-3 network, and only ``b1`` and ``W3`` of the large one as inputs.
"""
from __future__ import annotations

import numpy as np

import backprop_helpers.gradcheck as gradcheck
from backprop_helpers.gradcheck import check_model_gradient
from backprop_helpers.network import MLP

from _env import torch
from _timing import Settings, measure, quantiles

__all__ = ["run"]

BIG = (784, 256, 128, 10)
SMALL = (2, 16, 16, 3)
DIRECTIONAL_TARGET_S = 2e-3
ELEMENTWISE_TARGET_S = 15e-6
NUM_DIRECTIONS = 10


def _problem(layer_sizes, n, seed=0):
    model = MLP(layer_sizes, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, layer_sizes[0]))
    y = rng.integers(0, layer_sizes[-1], size=n).astype(np.int64)
    model.loss(X, y)
    model.backward()
    return model, X, y


def _torch_problem(model, X, y, inputs=None):
    """The model's loss as a torch function of (some of) its parameters, float64.

    ``inputs``: names of the parameters that are inputs of the function (default all); the others
    are constants. Returns ``(f, tensors)`` for ``torch.autograd.gradcheck(f, tensors)``.
    """
    names = list(model.params)
    inputs = names if inputs is None else inputs
    fixed = {k: torch.from_numpy(model.params[k].copy()) for k in names}
    tensors = tuple(fixed[k].clone().requires_grad_(True) for k in inputs)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    L = model.num_layers
    F = torch.nn.functional

    def f(*args):
        p = dict(fixed)
        p.update(zip(inputs, args))
        h = Xt
        for l in range(1, L + 1):
            h = h @ p[f"W{l}"] + p[f"b{l}"]
            if l < L:
                h = torch.relu(h)
        return F.cross_entropy(h, yt)

    return f, tensors


def _torch_gradcheck(f, tensors, fast):
    def call():
        return torch.autograd.gradcheck(f, tensors, fast_mode=fast, raise_exception=False)
    return call


# --------------------------------------------------------------------------- (a) directional

def directional(settings: Settings) -> dict:
    model, X, y = _problem(BIG, 16)
    K = NUM_DIRECTIONS

    def loss(_):
        return model.loss(X, y)

    def ours():
        return gradcheck.check_gradient_directional(loss, model.params, model.grads, num_directions=K)

    report = ours()
    contenders = {"ours": ours}
    torch_ok = None
    if torch is not None:
        tf, tensors = _torch_problem(model, X, y)
        contenders["torch"] = _torch_gradcheck(tf, tensors, fast=True)
        torch_ok = bool(contenders["torch"]())
    m = measure(contenders, settings)
    out = {"net": "-".join(map(str, BIG)), "batch": 16, "num_params": int(model.num_params),
           "num_directions": K, "target_s": DIRECTIONAL_TARGET_S, "ours_passed": bool(report.passed),
           "torch_passed": torch_ok, "contenders": {}, "timings": m.summary(), "ratio": None}
    per_dir = {"ours": K, "torch": 1}
    for name in contenders:
        per_call = m.median(name)
        out["contenders"][name] = {"per_call_s": per_call, "per_direction_s": per_call / per_dir[name],
                                   "fastest_per_direction_s": min(m.times[name]) / per_dir[name]}
    out["met"] = bool(out["contenders"]["ours"]["per_direction_s"] <= DIRECTIONAL_TARGET_S)
    if "torch" in contenders:
        per_round = [(tt / 1) / (to / K) for to, tt in zip(m.times["ours"], m.times["torch"])]
        q1, med, q3 = quantiles(per_round)
        out["ratio"] = {"median": med, "q25": q1, "q75": q3}
    return out


# --------------------------------------------------------------------------- (b) elementwise

def elementwise(settings: Settings) -> dict:
    rows = []
    problems = [("small", SMALL, 32, None), ("big", BIG, 16, ["b1", "W3"])]
    for key, sizes, n, torch_inputs in problems:
        net = f"{'-'.join(map(str, sizes))}, batch {n}"
        if key == "big" and settings.smoke:       # seconds per call: not for a smoke run
            for who, label in (("ours", "check_model_gradient"),
                               ("torch", "torch.autograd.gradcheck(fast_mode=False)")):
                rows.append({"who": who, "problem": key, "label": label, "function": net,
                             "num_params": 0, "status": "skipped in --quick mode (seconds per call)"})
            continue
        model, X, y = _problem(sizes, n)
        contenders, counts, labels = {}, {}, {}
        contenders["ours"] = lambda model=model, X=X, y=y: check_model_gradient(model, X, y)
        counts["ours"] = int(model.num_params)
        labels["ours"] = ("check_model_gradient", f"{net}, all parameters")
        if torch is not None:
            tf, tensors = _torch_problem(model, X, y, inputs=torch_inputs)
            contenders["torch"] = _torch_gradcheck(tf, tensors, fast=False)
            counts["torch"] = int(sum(t.numel() for t in tensors))
            which = "all parameters" if torch_inputs is None else " and ".join(torch_inputs) + " only"
            labels["torch"] = ("torch.autograd.gradcheck(fast_mode=False)", f"{net}, {which}")
        passed = {name: bool(fn()) for name, fn in contenders.items()}
        # the large problem takes seconds per call: the minimum of 15 rounds is enough there
        slow = Settings(rounds=min(settings.rounds, 15), min_time=settings.min_time, warmup_time=0.0)
        m = measure(contenders, slow if key == "big" else settings)
        for who in ("ours", "torch"):
            row = {"who": who, "problem": key}
            if who in contenders:
                per_call = m.median(who)
                row.update(label=labels[who][0], function=labels[who][1], num_params=counts[who],
                           per_call_s=per_call, per_param_s=per_call / counts[who],
                           fastest_per_param_s=min(m.times[who]) / counts[who],
                           passed=passed[who], timing=m.summary()[who])
                if who == "ours":
                    row["met"] = bool(per_call / counts[who] <= ELEMENTWISE_TARGET_S)
                    if "torch" in contenders:   # per-parameter speed, ours over torch's, by round
                        per_round = [(tt / counts["torch"]) / (to / counts["ours"])
                                     for to, tt in zip(m.times["ours"], m.times["torch"])]
                        q1, med, q3 = quantiles(per_round)
                        row["per_param_ratio_vs_torch"] = {"median": med, "q25": q1, "q75": q3}
            else:
                row.update(label="torch.autograd.gradcheck(fast_mode=False)", function=net,
                           num_params=0, status="absent (torch not installed)")
            rows.append(row)
    return {"rows": rows, "target_s": ELEMENTWISE_TARGET_S, "module": "backprop_helpers.gradcheck"}


def run(settings: Settings) -> dict:
    return {"torch_available": torch is not None, "directional": directional(settings),
            "elementwise": elementwise(settings)}
