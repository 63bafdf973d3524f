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

__all__ = ["profile"]


def _pieces(model, trainer, X, y):
    """(label, fn) for every numpy call of one step, on the arrays of the last real step."""
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
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    sums = e.sum(axis=1)
    pieces += [
        ("loss: rows = np.arange(n)", lambda: np.arange(n)),
        ("loss: scores.max(axis=1, keepdims=True)", lambda: scores.max(axis=1, keepdims=True)),
        ("loss: scores - max", lambda m=scores.max(axis=1, keepdims=True): scores - m),
        ("loss: np.exp(shifted)", lambda: np.exp(shifted)),
        ("loss: exp.sum(axis=1)", lambda: e.sum(axis=1)),
        ("loss: np.log(sums).sum()", lambda: np.log(sums).sum()),
        ("loss: shifted[rows, y].sum()", lambda: shifted[rows, y].sum()),
        ("loss: float(...) / n", lambda v=np.float64(1.5): float(v - v) / n),
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
        pieces.append((f"bwd {l}: dW = X.T @ dout  {Xl.T.shape}@{dout.shape}",
                       lambda Xl=Xl, d=dout: Xl.T @ d))
        pieces.append((f"bwd {l}: db = dout.sum(axis=0)", lambda d=dout: d.sum(axis=0)))
        if l > 1:
            pieces.append((f"bwd {l}: dX = dout @ W.T  {dout.shape}@{W.T.shape}",
                           lambda d=dout, W=W: d @ W.T))
        gW, gb = G[f"W{l}"], G[f"b{l}"]
        dW, db = Xl.T @ dout, dout.sum(axis=0)
        pieces.append((f"bwd {l}: np.copyto(grads W, dW); np.copyto(grads b, db)",
                       lambda gW=gW, dW=dW, gb=gb, db=db: (np.copyto(gW, dW), np.copyto(gb, db))))
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
    lin2, act2 = caches[L - 2]
    x = act2.x
    d = np.ones_like(x)
    out_relu = np.maximum(x, 0.0)
    Xl = lin_last.X
    dsc = model._dscores
    gW, gb = model.grads[f"W{L}"], model.grads[f"b{L}"]
    theta, g = model.flat_params.copy(), model.flat_grads
    buf = np.empty_like(theta)
    opt = SGD(1e-30)
    return [
        ("ReLU backward", lambda: d * (x > 0),
         "np.multiply(dout, out > 0, out=dout) (mask from the cached output, in place)",
         lambda: np.multiply(d, out_relu > 0, out=d)),
        ("dW into grads", lambda: np.copyto(gW, Xl.T @ dsc),
         "np.matmul(X.T, dout, out=grads W)", lambda: np.matmul(Xl.T, dsc, out=gW)),
        ("db into grads", lambda: np.copyto(gb, dsc.sum(axis=0)),
         "np.add.reduce(dout, axis=0, out=grads b)", lambda: np.add.reduce(dsc, axis=0, out=gb)),
        ("row max", lambda: scores.max(axis=1, keepdims=True),
         "np.maximum.reduce(scores, axis=1, keepdims=True)",
         lambda: np.maximum.reduce(scores, axis=1, keepdims=True)),
        ("pick s[n, y_n]", lambda: shifted[rows, y],
         "shifted.ravel()[flat] with flat = arange(N) * C + y precomputed",
         lambda: shifted.ravel()[flat]),
        ("p[n, y_n] -= 1", lambda: shifted.__setitem__((rows, y), shifted[rows, y] - 0.0),
         "np.subtract.at-free: pr = p.ravel(); pr[flat] -= 1",
         lambda: shifted.ravel().__setitem__(flat, shifted.ravel()[flat] - 0.0)),
        ("SGD update", lambda: opt.step(theta, g),
         "np.multiply(g, -lr, out=buf); theta += buf (no validation, no temporary)",
         lambda: (np.multiply(g, -1e-30, out=buf), theta.__iadd__(buf))),
    ]


def profile(layer_sizes, n, dtype, settings):
    """Returns (step seconds, [(call, seconds)], [(work, now s, leaner way, leaner s, ratio)])."""
    X, y = make_batch(layer_sizes, n, dtype)
    model = MLP(layer_sizes, dtype=dtype, seed=0)
    trainer = Trainer(model, X, y, optimizer=SGD(LR), batch_size=n)
    trainer.step(X, y)
    pieces = _pieces(model, trainer, X, y)
    contenders = {"step": lambda: trainer.step(X, y)}
    contenders.update((f"{i}", fn) for i, (_, fn) in enumerate(pieces))
    m = measure(contenders, settings)
    rows = [(label, m.median(f"{i}")) for i, (label, _) in enumerate(pieces)]
    variants = []
    for what, cur, how, lean in _variants(model, X, y):
        v = measure({"now": cur, "lean": lean}, settings)
        variants.append((what, v.median("now"), how, v.median("lean"), v.speed_ratio("lean", "now")[1]))
    return m.median("step"), rows, variants


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time every numpy call of the training step.")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings(rounds=3, min_time=0.0005, warmup_time=0.002) if args.quick else \
        Settings(rounds=15, min_time=0.001, warmup_time=0.01)
    for layer_sizes, n, _ in SIZES[:2]:
        for dtype in (np.float64, np.float32):
            step_s, rows, variants = profile(layer_sizes, n, dtype, settings)
            total = sum(t for _, t in rows)
            name = "-".join(map(str, layer_sizes))
            print(f"\n#### {name}, batch {n}, {np.dtype(dtype).name}: step {step_s * 1e6:.1f} us\n")
            print("| numpy call | us | % of step |\n| --- | ---: | ---: |")
            for label, t in rows:
                print(f"| `{label}` | {t * 1e6:.2f} | {100 * t / step_s:.0f}% |")
            print(f"| **sum of the numpy calls** | {total * 1e6:.1f} | {100 * total / step_s:.0f}% |")
            print(f"| **interpreter glue (step minus calls)** | {(step_s - total) * 1e6:.1f} | "
                  f"{100 * (step_s - total) / step_s:.0f}% |")
            print("\n| work | now, us | leaner way | us | speed-up (paired) |\n"
                  "| --- | ---: | --- | ---: | ---: |")
            for what, cur, how, lean, ratio in variants:
                print(f"| {what} | {cur * 1e6:.2f} | `{how}` | {lean * 1e6:.2f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
