"""Benchmark 1: one training step (forward, softmax cross-entropy, backward, SGD update).

Contenders, timed side by side in the same rounds on the same fixed batch and the same initial weights:

- ``ours``: ``Trainer(model, X, y, optimizer=SGD(lr), batch_size=N).step(X, y)``, what training uses:
  an ``MLP`` with ReLU and softmax cross-entropy, on the fast path (``backprop_helpers.fast``);
- ``textbook``: the same with ``Trainer(..., fast=False)``: ``model.loss``, ``model.backward`` and
  ``optimizer.step``, the package's reference written as the lessons derive it (every layer a
  validated forward/backward pair);
- ``numpy``: a textbook numpy step written here, for context;
- ``torch``: ``nn.Sequential`` of ``Linear`` + ``ReLU``, ``F.cross_entropy``, ``loss.backward()`` and
  ``optim.SGD`` with ``zero_grad(set_to_none=True)``, on the CPU with one thread;
- ``matmuls`` (largest size only): the matrix products of forward and backward alone, into
  preallocated arrays, skipping the first layer's ``dX`` as the step does: the floor for a numpy step.

Weights are restored before every round so that every round does the same work.
"""
from __future__ import annotations

import sys

import numpy as np

from backprop_helpers.network import MLP
from backprop_helpers.optim import SGD
from backprop_helpers.training import Trainer

from _env import torch
from _timing import Settings, measure

__all__ = ["SIZES", "run", "textbook_table"]

LR = 1e-3
#: (layer sizes, batch size, target: our steps/s over torch's)
SIZES = [((2, 16, 16, 2), 32, 6.0), ((2, 64, 64, 3), 128, 3.0), ((784, 256, 128, 10), 128, 1.1)]
#: our step's speed as a fraction of the matmuls-alone speed, at the largest size
MATMUL_FRACTION_TARGET = 0.8


def make_batch(layer_sizes, n, dtype, seed=0):
    """A fixed batch: standard-normal inputs (N, D) of ``dtype`` and labels (N,) in 0..C-1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, layer_sizes[0])).astype(dtype)
    y = rng.integers(0, layer_sizes[-1], size=n).astype(np.int64)
    return X, y


# --------------------------------------------------------------------------- contenders

def numpy_step_factory(params, X, y, lr):
    """A straightforward textbook numpy step on a list ``[(W1, b1), (W2, b2), ...]`` (updated in place)."""
    n = X.shape[0]
    rows = np.arange(n)

    def step():
        hs, zs = [X], []
        h = X
        for i, (W, b) in enumerate(params):
            z = h @ W + b
            zs.append(z)
            h = np.maximum(z, 0) if i < len(params) - 1 else z
            hs.append(h)
        scores = hs[-1]
        shifted = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[rows, y]).mean()
        dz = p
        dz[rows, y] -= 1
        dz /= n
        for i in range(len(params) - 1, -1, -1):
            W, b = params[i]
            dW = hs[i].T @ dz
            db = dz.sum(axis=0)
            if i > 0:
                dz = (dz @ W.T) * (zs[i - 1] > 0)
            W -= lr * dW
            b -= lr * db
        return loss

    return step


def matmuls_factory(layer_sizes, X, dtype, seed=1):
    """The matrix products of one step alone, into preallocated arrays (first layer's dX skipped)."""
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    Ws = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
    hs = [X] + [np.empty((n, s), dtype) for s in layer_sizes[1:]]          # forward outputs
    dzs = [rng.standard_normal((n, s)).astype(dtype) for s in layer_sizes[1:]]  # upstream grads
    dWs = [np.empty_like(W) for W in Ws]
    dhs = [np.empty((n, s), dtype) for s in layer_sizes[1:-1]]
    L = len(Ws)

    def step():
        for l in range(L):
            np.matmul(hs[l], Ws[l], out=hs[l + 1])
        for l in range(L - 1, -1, -1):
            np.matmul(hs[l].T, dzs[l], out=dWs[l])
            if l > 0:
                np.matmul(dzs[l], Ws[l].T, out=dhs[l - 1])

    return step, 3 * L - 1          # L forward, L for dW, L - 1 for dX


def torch_step_factory(layer_sizes, params, X, y, lr, dtype):
    """The same network in PyTorch, same initial weights; returns (step, reset)."""
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    layers = []
    for i, (a, b) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=tdtype))
        if i < len(layer_sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    init = [(torch.from_numpy(np.ascontiguousarray(W.T)).clone(), torch.from_numpy(b.copy()))
            for W, b in params]
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    F = torch.nn.functional

    def reset():
        with torch.no_grad():
            for lin, (W, b) in zip(linears, init):
                lin.weight.copy_(W)
                lin.bias.copy_(b)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(Xt), yt)
        loss.backward()
        opt.step()
        return loss

    reset()
    return step, reset


# --------------------------------------------------------------------------- one configuration

def bench_one(layer_sizes, n, dtype, settings: Settings, with_matmuls: bool) -> dict:
    X, y = make_batch(layer_sizes, n, dtype)
    model = MLP(layer_sizes, dtype=dtype, seed=0)
    trainer = Trainer(model, X, y, optimizer=SGD(LR), batch_size=n)
    reference = model.copy()
    textbook = Trainer(reference, X, y, optimizer=SGD(LR), batch_size=n, fast=False)
    if not trainer.fast or textbook.fast:
        raise RuntimeError("bench_training: Trainer did not take the expected paths")
    init_flat = model.flat_params.copy()
    L = model.num_layers
    init_pairs = [(model.params[f"W{l}"].copy(), model.params[f"b{l}"].copy()) for l in range(1, L + 1)]
    hand = [(W.copy(), b.copy()) for W, b in init_pairs]

    contenders = {"ours": lambda: trainer.step(X, y),
                  "textbook": lambda: textbook.step(X, y),
                  "numpy": numpy_step_factory(hand, X, y, LR)}
    resets = []
    if torch is not None:
        contenders["torch"], torch_reset = torch_step_factory(layer_sizes, init_pairs, X, y, LR, dtype)
        resets.append(torch_reset)
    n_matmuls = None
    if with_matmuls:
        contenders["matmuls"], n_matmuls = matmuls_factory(layer_sizes, X, dtype)

    def before_round():
        model.flat_params[:] = init_flat
        reference.flat_params[:] = init_flat
        for (W, b), (W0, b0) in zip(hand, init_pairs):
            W[...] = W0
            b[...] = b0
        for r in resets:
            r()

    _check_same_first_step(trainer, X, y, contenders, before_round)
    m = measure(contenders, settings, before_round=before_round)
    out = {"layer_sizes": list(layer_sizes), "batch": n, "dtype": np.dtype(dtype).name,
           "num_params": int(model.num_params), "timings": m.summary(), "ratios": {}}
    pairs = [("ours", other) for other in contenders if other != "ours"]
    pairs += [("textbook", other) for other in ("torch", "numpy") if other in contenders]
    for a, b in pairs:
        q1, med, q3 = m.speed_ratio(a, b)
        out["ratios"][f"{a}/{b}"] = {"median": med, "q25": q1, "q75": q3}
    if n_matmuls is not None:
        out["num_matmuls"] = n_matmuls
    return out


def _check_same_first_step(trainer, X, y, contenders, before_round):
    """Sanity check (untimed): from the same weights, ours, the textbook path, torch and the numpy step
    compute the same first loss."""
    before_round()
    ours = trainer.step(X, y)
    textbook = contenders["textbook"]()
    if abs(ours - textbook) > 1e-6 * max(1.0, abs(ours)):
        raise RuntimeError(f"bench_training: first-step losses differ: ours {ours}, textbook {textbook}")
    if "torch" in contenders:
        theirs = contenders["torch"]().detach().item()
        tol = 1e-4 if X.dtype == np.float32 else 1e-10
        if abs(ours - theirs) > tol * max(1.0, abs(ours)):
            raise RuntimeError(f"bench_training: first-step losses differ: ours {ours}, torch {theirs}")
    hand = float(contenders["numpy"]())
    if abs(ours - hand) > 1e-4 * max(1.0, abs(ours)):
        raise RuntimeError(f"bench_training: first-step losses differ: ours {ours}, numpy {hand}")
    before_round()


def run(settings: Settings) -> dict:
    """All sizes, float32 and float64. Returns a JSON-ready dict."""
    rows = []
    for layer_sizes, n, target in SIZES:
        largest = layer_sizes == SIZES[-1][0]
        for dtype in (np.float32, np.float64):
            row = bench_one(layer_sizes, n, dtype, settings, with_matmuls=largest)
            row["target_vs_torch"] = target
            r = row["ratios"].get("ours/torch")
            row["met_vs_torch"] = None if r is None else bool(r["median"] >= target)
            if largest:
                frac = row["ratios"]["ours/matmuls"]
                row["target_matmul_fraction"] = MATMUL_FRACTION_TARGET
                row["met_matmul_fraction"] = bool(frac["median"] >= MATMUL_FRACTION_TARGET)
            rows.append(row)
    result = {"rows": rows, "lr": LR, "torch_available": torch is not None}
    print("\n".join(textbook_table(result)), file=sys.stderr, flush=True)
    return result


def textbook_table(result: dict) -> list[str]:
    """Markdown lines: both of Trainer's paths against torch (steps per second, median ratios)."""
    out = ["| net | batch | dtype | ours (fast path) | textbook path | torch | ours / torch | "
           "textbook / torch | ours / textbook |",
           "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in result["rows"]:
        t, q = r["timings"], r["ratios"]

        def rate(name):
            return f"{t[name]['per_second']:,.0f}" if name in t else "absent"

        def ratio(key):
            return f"{q[key]['median']:.2f}x" if key in q else "absent"
        out.append(f"| {'-'.join(map(str, r['layer_sizes']))} | {r['batch']} | {r['dtype']} | "
                   f"{rate('ours')} | {rate('textbook')} | {rate('torch')} | {ratio('ours/torch')} | "
                   f"{ratio('textbook/torch')} | {ratio('ours/textbook')} |")
    return out
