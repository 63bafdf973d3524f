"""Where the time of the reference training step goes, numpy call by numpy call.

    python bench/profile_step.py            # the two small sizes of the training benchmark
    python bench/profile_step.py --quick

Method: one real ``Trainer.step`` fills the model's caches; then every numpy call that the step makes
(as written in layers.py, losses.py, network.py and optim.py) is replayed on those very arrays and
timed alone. The whole step is timed in the same rounds (every round times the step and each call once,
in rotating order, so a busy spell of the shared machine hits them alike; medians over rounds): what
the calls do not add up to is interpreter glue (function calls, dict lookups, tuple and cache
building, checks). A second table times leaner ways of doing the same work, on the same arrays, in
the same paired way.
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

from backprop_helpers.network import MLP  # noqa: E402
from backprop_helpers.optim import SGD  # noqa: E402
from backprop_helpers.training import Trainer  # noqa: E402

from _timing import Settings, measure  # noqa: E402
from bench_training import LR, SIZES, make_batch  # noqa: E402

__all__ = ["profile", "lean_step_factory"]


def _pieces(model, X, y):
    """(label, fn) for every numpy call of one step, on the arrays of the last real step.

    Mirrors the code of the step as of this writing: ``_linear_forward`` (``X @ W``, ``+= b``),
    ``_relu_forward``/``_relu_backward``, ``_softmax_cross_entropy``, ``_linear_backward`` writing
    into the gradient buffers (``np.matmul(..., out=)``, ``np.sum(..., out=)``) and
    ``SGD.update`` on the flat vectors (``theta -= lr * g``).
    """
    L, n = model.num_layers, X.shape[0]
    P, G = model.params, model.grads
    caches = model._caches
    pieces = []
    # ---- forward (network._forward -> layers._linear_forward, layers._relu_forward)
    for l in range(1, L + 1):
        lin, act = caches[l - 1]
        Xl, W, b = lin.X, P[f"W{l}"], P[f"b{l}"]
        z = Xl @ W
        pieces.append((f"fwd {l}: out = X @ W  {Xl.shape}@{W.shape}", lambda Xl=Xl, W=W: Xl @ W))
        pieces.append((f"fwd {l}: out += b", lambda z=z, b=b: z.__iadd__(b)))
        if act is not None:
            x = act.x
            pieces.append((f"fwd {l}: np.maximum(x, 0.0)", lambda x=x: np.maximum(x, 0.0)))
    # ---- loss (losses._softmax_cross_entropy)
    scores = caches[-1][0].X @ P[f"W{L}"] + P[f"b{L}"]
    rows = np.arange(n)
    mx = scores.max(axis=1, keepdims=True)
    shifted = scores - mx
    e = np.exp(shifted)
    sums = e.sum(axis=1)
    pieces += [
        ("loss: rows = np.arange(n)", lambda: np.arange(n)),
        ("loss: scores.max(axis=1, keepdims=True)", lambda: scores.max(axis=1, keepdims=True)),
        ("loss: shifted = scores - max", lambda: scores - mx),
        ("loss: np.exp(shifted)", lambda: np.exp(shifted)),
        ("loss: sums = exp.sum(axis=1)", lambda: e.sum(axis=1)),
        ("loss: np.log(sums).sum()", lambda: np.log(sums).sum()),
        ("loss: shifted[rows, y].sum()", lambda: shifted[rows, y].sum()),
        ("loss: float(a - b) / n", lambda v=np.float64(1.5): float(v - v) / n),
        ("loss: exp /= sums[:, None]", lambda: e.__itruediv__(sums[:, None])),
        ("loss: exp[rows, y] -= 1.0", lambda: e.__setitem__((rows, y), e[rows, y] - 0.0)),
        ("loss: exp /= n", lambda: e.__itruediv__(1.0)),
    ]
    # ---- backward (network._backward -> layers._relu_backward, layers._linear_backward)
    dout = model._dscores
    for l in range(L, 0, -1):
        lin, act = caches[l - 1]
        if act is not None:
            x = act.x
            d = np.ones_like(x)
            pieces.append((f"bwd {l}: dout * (x > 0)", lambda d=d, x=x: d * (x > 0)))
            dout = d
        Xl, W = lin.X, lin.W
        gW, gb = G[f"W{l}"], G[f"b{l}"]
        pieces.append((f"bwd {l}: np.matmul(X.T, dout, out=dW)  {Xl.T.shape}@{dout.shape}",
                       lambda Xl=Xl, d=dout, gW=gW: np.matmul(Xl.T, d, out=gW)))
        pieces.append((f"bwd {l}: np.sum(dout, axis=0, out=db)",
                       lambda d=dout, gb=gb: np.sum(d, axis=0, out=gb)))
        if l > 1:
            pieces.append((f"bwd {l}: dX = dout @ W.T  {dout.shape}@{W.T.shape}",
                           lambda d=dout, W=W: d @ W.T))
        dout = np.ones((dout.shape[0], W.shape[0]), dout.dtype)
    # ---- update (optim.SGD.update on the flat vectors)
    theta, g = model.flat_params.copy(), model.flat_grads
    pieces.append((f"sgd: theta -= lr * g  ({theta.size} params)",
                   lambda: theta.__isub__(1e-30 * g)))
    return pieces


def _variants(model, X, y):
    """(what, current fn, leaner fn) on the arrays of the last step: same result, less work."""
    L, n = model.num_layers, X.shape[0]
    caches = model._caches
    lin_last, _ = caches[-1]
    scores = lin_last.X @ lin_last.W
    C = scores.shape[1]
    rows = np.arange(n)
    flat = rows * C + y
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    sums = e.sum(axis=1)
    x = caches[L - 2][1].x
    d = np.ones_like(x)
    z = x.copy()
    dsc = model._dscores
    gb = model.grads[f"b{L}"]
    theta, g = model.flat_params.copy(), model.flat_grads
    buf = np.empty_like(theta)
    ones_n, ones_c = np.ones(n, dsc.dtype), np.ones(C, dsc.dtype)
    return [
        ("ReLU forward", lambda: np.maximum(x, 0.0),
         "np.maximum(z, 0.0, out=z) (in place; backward reads the sign of the output)",
         lambda: np.maximum(z, 0.0, out=z)),
        ("ReLU backward", lambda: d * (x > 0),
         "np.multiply(dout, out > 0, out=dout) (dout is the fresh dX: reuse it)",
         lambda: np.multiply(d, z > 0, out=d)),
        ("db into grads", lambda: np.sum(dsc, axis=0, out=gb),
         "np.add.reduce(dout, axis=0, out=db) (skips np.sum's Python wrapper)",
         lambda: np.add.reduce(dsc, axis=0, out=gb)),
        ("db into grads (alt)", lambda: np.sum(dsc, axis=0, out=gb),
         "np.matmul(ones_N, dout, out=db) (a matrix-vector product, ones_N made once)",
         lambda: np.matmul(ones_n, dsc, out=gb)),
        ("row max", lambda: scores.max(axis=1, keepdims=True),
         "np.maximum.reduce(scores, axis=1, keepdims=True)",
         lambda: np.maximum.reduce(scores, axis=1, keepdims=True)),
        ("row sums", lambda: e.sum(axis=1), "np.add.reduce(exp, axis=1)",
         lambda: np.add.reduce(e, axis=1)),
        ("row sums (alt)", lambda: e.sum(axis=1),
         "exp @ ones_C (a matrix-vector product, ones_C made once)", lambda: e @ ones_c),
        ("sum of logs", lambda: np.log(sums).sum(), "np.add.reduce(np.log(sums))",
         lambda: np.add.reduce(np.log(sums))),
        ("pick s[n, y_n] and sum", lambda: shifted[rows, y].sum(),
         "np.add.reduce(shifted.ravel()[flat]), flat = arange(N) * C + y made once",
         lambda: np.add.reduce(shifted.ravel()[flat])),
        ("p[n, y_n] -= 1", lambda: shifted.__setitem__((rows, y), shifted[rows, y] - 0.0),
         "p.ravel()[flat] -= 1 with the same flat index",
         lambda: shifted.ravel().__setitem__(flat, shifted.ravel()[flat] - 0.0)),
        ("SGD update", lambda: theta.__isub__(1e-30 * g),
         "np.multiply(g, -lr, out=buf); theta += buf (no temporary array)",
         lambda: (np.multiply(g, -1e-30, out=buf), theta.__iadd__(buf))),
    ]


def lean_step_factory(model, X, y, lr):
    """The same step (ReLU MLP, softmax cross-entropy, SGD) with every leaner way above, on ``model``.

    A prototype for the owner of network.py/losses.py/optim.py: same math, same results (checked
    against ``Trainer.step``), fewer numpy calls, no temporary arrays it can avoid, no per-call glue.
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
    """Returns (step s, [(call, s)], [(work, now s, leaner way, leaner s, ratio)], whole-step dict)."""
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
    # whole steps side by side: the reference, the lean prototype, torch
    _lean_matches(layer_sizes, n, dtype)
    init = model.flat_params.copy()
    other = MLP(layer_sizes, dtype=dtype, seed=0)
    whole = {"ours": lambda: trainer.step(X, y), "lean": lean_step_factory(other, X, y, LR)}
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
        for r in resets:
            r()

    w = measure(whole, settings, before_round=before_round)
    summary = {"ours_us": w.median("ours") * 1e6, "lean_us": w.median("lean") * 1e6,
               "lean/ours": w.speed_ratio("lean", "ours")[1]}
    if "torch" in whole:
        summary["ours/torch"] = w.speed_ratio("ours", "torch")[1]
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
                      f"{len(rows)} numpy calls", "",
                      "| numpy call | us | % of step |", "| --- | ---: | ---: |"]
            lines += [f"| `{label}` | {t * 1e6:.2f} | {100 * t / step_s:.0f}% |" for label, t in rows]
            lines += [f"| **sum of the numpy calls** | {total * 1e6:.1f} | {100 * total / step_s:.0f}% |",
                      "| **the rest: interpreter glue, allocation, cold caches (step minus calls)** | "
                      f"{(step_s - total) * 1e6:.1f} | {100 * (step_s - total) / step_s:.0f}% |",
                      "", "| work | now, us | leaner way | us | speed-up (paired) |",
                      "| --- | ---: | --- | ---: | ---: |"]
            lines += [f"| {what} | {cur * 1e6:.2f} | `{how}` | {lean * 1e6:.2f} | {ratio:.2f}x |"
                      for what, cur, how, lean, ratio in variants]
            line = (f"Whole step, paired: reference {whole['ours_us']:.1f} us, lean prototype "
                    f"{whole['lean_us']:.1f} us ({whole['lean/ours']:.2f}x as fast)")
            if "lean/torch" in whole:
                line += (f"; our steps/s over torch's: reference {whole['ours/torch']:.2f}x, "
                         f"lean prototype {whole['lean/torch']:.2f}x")
            lines += ["", line + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
