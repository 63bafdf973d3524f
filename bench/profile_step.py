"""Where the time of the training step goes, numpy call by numpy call.

    python bench/profile_step.py            # the two small sizes of the training benchmark
    python bench/profile_step.py --quick

The step is ``Trainer.step`` on an ``MLP``, i.e. the fast path of ``backprop_helpers/fast.py``
(``FastPath.start_step``, its ``softmax_cross_entropy`` and ``sgd_update``). Method: every numpy call
that the step makes is replayed on arrays of the same shapes and values and timed alone. The whole
step is timed in the same rounds (every round times the step and each call once, in rotating order,
so a busy spell of the shared machine hits them alike; medians over rounds): what the calls do not
add up to is interpreter glue (function calls, list and attribute lookups). A second table times
another way of doing some of the work, on the same arrays, in the same paired way; a last line times
whole steps side by side: the fast path, the textbook path (``Trainer(..., fast=False)``), a lean
prototype and torch.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _env  # noqa: E402,F401  (one thread)
import numpy as np  # noqa: E402

from backprop_helpers import fast  # noqa: E402
from backprop_helpers.network import MLP  # noqa: E402
from backprop_helpers.optim import SGD  # noqa: E402
from backprop_helpers.training import Trainer  # noqa: E402

from _timing import Settings, measure  # noqa: E402
from bench_training import LR, SIZES, make_batch  # noqa: E402

__all__ = ["profile", "lean_step_factory"]


def _activations(model, X):
    """The inputs of every linear layer ``[X, h_1, ..., h_{L-1}]`` and the scores, computed once."""
    hs, h = [X], X
    for l in range(1, model.num_layers):
        h = np.maximum(h @ model.params[f"W{l}"] + model.params[f"b{l}"], 0.0)
        hs.append(h)
    L = model.num_layers
    return hs, h @ model.params[f"W{L}"] + model.params[f"b{L}"]


def _pieces(model, X, y):
    """(label, fn) for every numpy call of one step, on arrays shaped as in a real step.

    Mirrors ``fast.FastPath.start_step`` for a ReLU network with softmax cross-entropy, then
    ``fast.sgd_update``: forward ``h @ W``, ``+= b``, ``np.maximum(h, 0, out=h)``; the loss with the row
    maximum and the row sums taken column by column and a flat true-class index; backward
    ``np.matmul(..., out=dW)``, ``np.add.reduce(..., out=db)``, ``dout @ W.T`` and
    ``np.multiply(dout, h > 0, out=dout)``; ``theta -= lr * g`` into a scratch array.
    """
    L, n = model.num_layers, X.shape[0]
    P, G = model.params, model.grads
    hs, scores = _activations(model, X)
    C = scores.shape[1]
    pieces = []
    for l in range(1, L + 1):
        Xl, W, b = hs[l - 1], P[f"W{l}"], P[f"b{l}"]
        z = Xl @ W
        pieces.append((f"fwd {l}: h @ W  {Xl.shape}@{W.shape}", lambda Xl=Xl, W=W: Xl @ W))
        pieces.append((f"fwd {l}: += b", lambda z=z, b=b: z.__iadd__(b)))
        if l < L:
            pieces.append((f"fwd {l}: np.maximum(h, 0.0, out=h)",
                           lambda z=z: np.maximum(z, 0.0, out=z)))
    true = np.arange(0, n * C, C) + y
    shifted = scores - fast.row_max(scores)[:, None]
    flat = shifted.reshape(-1)
    e = np.exp(shifted)
    sums = fast.row_sum(e)
    picked = flat[true]
    zeros, ones = np.zeros(n, X.dtype), np.ones(n, X.dtype)     # same shapes, values left unchanged
    ef = e.reshape(-1)
    pieces += [
        (f"loss: fast.row_max(scores) ({C - 1} np.maximum on columns)", lambda: fast.row_max(scores)),
        ("loss: scores -= max[:, None]", lambda: shifted.__isub__(zeros[:, None])),
        ("loss: true = y + np.arange(0, n*c, c) (2 calls)", lambda: y + np.arange(0, n * C, C)),
        ("loss: picked = flat[true]", lambda: flat[true]),
        ("loss: np.exp(s, out=s)", lambda: np.exp(shifted, out=e)),
        (f"loss: fast.row_sum(exp) ({C - 1} + on columns)", lambda: fast.row_sum(e)),
        ("loss: float(np.add.reduce(np.log(sums) - picked)) / n (4 calls)",
         lambda: float(np.add.reduce(np.log(sums) - picked)) / n),
        ("loss: p /= sums[:, None]", lambda: e.__itruediv__(ones[:, None])),
        ("loss: flat[true] -= 1 (3 calls)", lambda: ef.__setitem__(true, ef[true] - 0.0)),
        ("loss: p /= n", lambda: e.__itruediv__(1)),
    ]
    dout = fast.softmax_cross_entropy(scores.copy(), y)[1]       # the real dscores
    for l in range(L, 0, -1):
        Xl, W = hs[l - 1], P[f"W{l}"]
        gW, gb = G[f"W{l}"], G[f"b{l}"]
        pieces.append((f"bwd {l}: np.matmul(h.T, dout, out=dW)  {Xl.T.shape}@{dout.shape}",
                       lambda Xl=Xl, d=dout, gW=gW: np.matmul(Xl.T, d, out=gW)))
        pieces.append((f"bwd {l}: np.add.reduce(dout, axis=0, out=db)",
                       lambda d=dout, gb=gb: np.add.reduce(d, axis=0, out=gb)))
        if l > 1:
            pieces.append((f"bwd {l}: dout @ W.T  {dout.shape}@{W.T.shape}", lambda d=dout, W=W: d @ W.T))
            d = dout @ W.T
            h = hs[l - 1]
            pieces.append((f"bwd {l}: np.multiply(dout, h > 0, out=dout) (2 calls)",
                           lambda d=d, h=h: np.multiply(d, h > 0, out=d)))
            dout = d
    theta, g = model.flat_params.copy(), model.flat_grads
    buf = np.empty_like(g)
    pieces.append((f"sgd: np.multiply(g, lr, out=step); theta -= step  ({theta.size} params)",
                   lambda: (np.multiply(g, 1e-30, out=buf), theta.__isub__(buf))))
    return pieces


def _variants(model, X, y):
    """(work, the fast path's way, other way, other fn): the same result, computed another way.

    The row maximum and row sums by columns are what the fast path does, against numpy's row
    reductions; the sums as matrix-vector products are faster still, but they round differently
    from ``dout.sum(axis=0)`` and ``exp.sum(axis=1)``, so the fast path, kept equal to the textbook
    path, does not use them.
    """
    L, n = model.num_layers, X.shape[0]
    hs, scores = _activations(model, X)
    C = scores.shape[1]
    shifted = scores - fast.row_max(scores)[:, None]
    e = np.exp(shifted)
    d = np.ones_like(hs[-1])
    gb = model.grads[f"b{L - 1}"]
    ones_n, ones_c = np.ones(n, X.dtype), np.ones(C, X.dtype)
    return [
        ("db into grads", lambda: np.add.reduce(d, axis=0, out=gb),
         "np.matmul(ones_N, dout, out=db) (a matrix-vector product, ones_N made once)",
         lambda: np.matmul(ones_n, d, out=gb)),
        ("row sums", lambda: fast.row_sum(e),
         "exp @ ones_C (a matrix-vector product, ones_C made once)", lambda: e @ ones_c),
        ("row sums", lambda: fast.row_sum(e), "np.add.reduce(exp, axis=1)",
         lambda: np.add.reduce(e, axis=1)),
        ("row max", lambda: fast.row_max(scores), "np.maximum.reduce(scores, axis=1)",
         lambda: np.maximum.reduce(scores, axis=1)),
    ]


def lean_step_factory(model, X, y, lr):
    """The same step (ReLU MLP, softmax cross-entropy, SGD) written as one closure, on ``model``.

    A prototype to compare the fast path with: same math (checked against ``Trainer.step`` to
    rounding), no per-call glue, and the sums over the batch and over the classes as matrix-vector
    products, which ``fast.py`` does not use because they round differently from the textbook's sums.
    """
    L, n, C = model.num_layers, X.shape[0], model.layer_sizes[-1]
    layers = [(model.params[f"W{l}"], model.params[f"b{l}"]) for l in range(1, L + 1)]
    grads = [(model.grads[f"W{l}"], model.grads[f"b{l}"]) for l in range(1, L + 1)]
    flat = np.arange(n) * C + y
    theta, g = model.flat_params, model.flat_grads
    buf = np.empty_like(theta)
    ones_n, ones_c = np.ones(n, X.dtype), np.ones(C, X.dtype)   # sums as matrix-vector products
    inv_n = 1.0 / n
    matmul, maximum, multiply, exp, log = np.matmul, np.maximum, np.multiply, np.exp, np.log
    add_reduce, max_reduce = np.add.reduce, np.maximum.reduce

    def step():
        hs = [X]
        h = X
        for W, b in layers[:-1]:
            h = matmul(h, W)
            h += b
            maximum(h, 0.0, out=h)                  # in place: h > 0 exactly where z > 0
            hs.append(h)
        W, b = layers[-1]
        s = matmul(h, W)
        s += b
        s -= max_reduce(s, axis=1, keepdims=True)
        p = exp(s)
        sums = matmul(p, ones_c)
        loss = float(add_reduce(log(sums)) - add_reduce(s.ravel()[flat])) * inv_n
        p /= sums[:, None]
        pr = p.ravel()
        pr[flat] -= 1.0
        p *= inv_n
        dout = p
        for l in range(L - 1, -1, -1):
            gW, gb = grads[l]
            matmul(hs[l].T, dout, out=gW)
            matmul(ones_n, dout, out=gb)
            if l:
                dout = matmul(dout, layers[l][0].T)
                multiply(dout, hs[l] > 0, out=dout)
        multiply(g, -lr, out=buf)
        np.add(theta, buf, out=theta)
        return loss

    return step


def _lean_matches(layer_sizes, n, dtype):
    """The lean prototype and Trainer.step give the same losses over a few steps."""
    X, y = make_batch(layer_sizes, n, dtype)
    a, b = MLP(layer_sizes, dtype=dtype, seed=0), MLP(layer_sizes, dtype=dtype, seed=0)
    trainer = Trainer(a, X, y, optimizer=SGD(LR), batch_size=n)
    lean = lean_step_factory(b, X, y, LR)
    ref = [trainer.step(X, y) for _ in range(5)]
    got = [lean() for _ in range(5)]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    if not np.allclose(ref, got, rtol=tol, atol=0) or \
            not np.allclose(a.flat_params, b.flat_params, rtol=tol * 10, atol=tol * 10):
        raise RuntimeError(f"profile_step: the lean prototype disagrees with Trainer.step: {ref} vs {got}")


def profile(layer_sizes, n, dtype, settings):
    """Returns (step s, [(call, s)], [(work, now s, other way, other s, ratio)], whole-step dict)."""
    X, y = make_batch(layer_sizes, n, dtype)
    model = MLP(layer_sizes, dtype=dtype, seed=0)
    trainer = Trainer(model, X, y, optimizer=SGD(LR), batch_size=n)
    trainer.step(X, y)
    pieces = _pieces(model, X, y)
    contenders = {"step": lambda: trainer.step(X, y)}
    contenders.update((f"{i}", fn) for i, (_, fn) in enumerate(pieces))
    start = model.flat_params.copy()

    def restore():                       # the step trains: give every round the same weights
        model.flat_params[:] = start

    m = measure(contenders, settings, before_round=restore)
    rows = [(label, m.median(f"{i}")) for i, (label, _) in enumerate(pieces)]
    variants = []
    for what, cur, how, lean in _variants(model, X, y):
        v = measure({"now": cur, "lean": lean}, settings)
        variants.append((what, v.median("now"), how, v.median("lean"), v.speed_ratio("lean", "now")[1]))
    # whole steps side by side: the fast path, the textbook path, the lean prototype, torch
    _lean_matches(layer_sizes, n, dtype)
    init = model.flat_params.copy()
    other = MLP(layer_sizes, dtype=dtype, seed=0)
    reference = MLP(layer_sizes, dtype=dtype, seed=0)
    textbook = Trainer(reference, X, y, optimizer=SGD(LR), batch_size=n, fast=False)
    whole = {"ours": lambda: trainer.step(X, y), "textbook": lambda: textbook.step(X, y),
             "lean": lean_step_factory(other, X, y, LR)}
    resets = []
    if _env.torch is not None:
        from bench_training import torch_step_factory
        pairs = [(model.params[f"W{l}"].copy(), model.params[f"b{l}"].copy())
                 for l in range(1, model.num_layers + 1)]
        whole["torch"], reset = torch_step_factory(layer_sizes, pairs, X, y, LR, dtype)
        resets.append(reset)

    def before_round():
        model.flat_params[:] = init
        other.flat_params[:] = init
        reference.flat_params[:] = init
        for r in resets:
            r()

    w = measure(whole, settings, before_round=before_round)
    summary = {"ours_us": w.median("ours") * 1e6, "textbook_us": w.median("textbook") * 1e6,
               "lean_us": w.median("lean") * 1e6, "ours/textbook": w.speed_ratio("ours", "textbook")[1],
               "lean/ours": w.speed_ratio("lean", "ours")[1]}
    if "torch" in whole:
        summary["ours/torch"] = w.speed_ratio("ours", "torch")[1]
        summary["textbook/torch"] = w.speed_ratio("textbook", "torch")[1]
        summary["lean/torch"] = w.speed_ratio("lean", "torch")[1]
    return m.median("step"), rows, variants, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time every numpy call of the training step.")
    parser.add_argument("--quick", action="store_true", help="3 short rounds: a smoke run")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the tables to this markdown file (e.g. bench/results/profile.md)")
    args = parser.parse_args(argv)
    settings = Settings(rounds=3, min_time=0.0005, warmup_time=0.002) if args.quick else \
        Settings(rounds=15, min_time=0.001, warmup_time=0.01)
    command = "python bench/profile_step.py" + (" --quick" if args.quick else "")
    lines = ["# Where the training step spends its time", "",
             f"Made by `{command}` on {datetime.datetime.now():%Y-%m-%d %H:%M} (1-minute load average "
             f"{os.getloadavg()[0]:.2f} at the start). Times in microseconds: medians of "
             f"{settings.rounds} paired rounds (see the docstring of bench/profile_step.py)."]
    for layer_sizes, n, _ in SIZES[:2]:
        for dtype in (np.float64, np.float32):
            step_s, rows, variants, whole = profile(layer_sizes, n, dtype, settings)
            total = sum(t for _, t in rows)
            name = "-".join(map(str, layer_sizes))
            lines += ["", f"## {name}, batch {n}, {np.dtype(dtype).name}: step {step_s * 1e6:.1f} us, "
                      f"{len(rows)} lines timed", "",
                      "| line of the step | us | % of step |", "| --- | ---: | ---: |"]
            lines += [f"| `{label}` | {t * 1e6:.2f} | {100 * t / step_s:.0f}% |" for label, t in rows]
            lines += [f"| **sum of the numpy calls** | {total * 1e6:.1f} | {100 * total / step_s:.0f}% |",
                      "| **the rest: interpreter glue, allocation, cold caches (step minus calls)** | "
                      f"{(step_s - total) * 1e6:.1f} | {100 * (step_s - total) / step_s:.0f}% |",
                      "", "| work | the fast path, us | other way | us | speed-up of the other way "
                      "(paired) |", "| --- | ---: | --- | ---: | ---: |"]
            lines += [f"| {what} | {cur * 1e6:.2f} | `{how}` | {lean * 1e6:.2f} | {ratio:.2f}x |"
                      for what, cur, how, lean, ratio in variants]
            line = (f"Whole step, paired: fast path {whole['ours_us']:.1f} us, textbook path "
                    f"{whole['textbook_us']:.1f} us (the fast path {whole['ours/textbook']:.2f}x as fast), "
                    f"lean prototype {whole['lean_us']:.1f} us ({whole['lean/ours']:.2f}x as fast as the "
                    f"fast path)")
            if "lean/torch" in whole:
                line += (f"; steps/s over torch's: fast path {whole['ours/torch']:.2f}x, textbook path "
                         f"{whole['textbook/torch']:.2f}x, lean prototype {whole['lean/torch']:.2f}x")
            lines += ["", line + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
