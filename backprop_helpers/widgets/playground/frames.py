"""Training playground (lesson 08): what the kernel sends the browser after an epoch, as binary arrays.

A *frame* is one custom widget message: a small JSON header and a list of binary buffers (the
arrays' bytes, little-endian, no copy), which the browser reads as typed arrays. The header's
``buffers`` lists, in order, each buffer's ``[name, dtype, shape]``. Every frame holds:

- ``output``: float32 (G, G), P(class 1) or the predicted value on the grid, top row first;
- ``neurons``: uint8 (sum H_l, g, g), every hidden neuron's output on a coarser grid (every
  ``stride``-th cell of the big one, so g = G / 3 by default), top row first, the value mapped
  linearly from ``neuron_range`` (clipped) onto 0..255: a neuron's map is a picture and 256 levels
  is all a colour scale shows, at a quarter of float32's bytes. Absent when the model cannot say;
- ``weights``: float32, the weight of every link of the diagram (``session.link_weights``: each
  layer's ``W.ravel()``, row i = the node the link leaves), then the bias of every node
  (``session.node_biases``), layer by layer;
- ``losses``: float32 (k, 2), training and test loss of the epochs ``loss_start`` onwards (the
  browser keeps the curve and is sent only what it has not seen, and always the latest epoch);
- ``focus``: uint8 (G, G), the neuron being looked at (``focus``, its index among the hidden
  neurons) at the full resolution, when there is one.

A *full* frame (``full: true``, after the data or the network changed, or when a view opens) also
holds the layout (``sizes``, the features, the task, the extent, ``G``, ``g``, the colour ranges)
and two more buffers:

- ``points``: float32 (N, 4): x1, x2, the label (or target value) and the kind (0 training,
  1 test, 2 drawn by the learner);
- ``inputs``: uint8 (7, G, G): every input feature's map (all of them, used or not), each divided
  by its largest absolute value over the grid, so on the -1..1 scale.

At the default settings a frame is about 44 KB (the output), plus 7 KB of neuron maps, 200 bytes of
weights and losses, and a header of about 300 bytes.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .model import FEATURES, FEATURE_LABELS, feature_matrix
from .session import PlaygroundSession, grid_points

__all__ = ["NEURON_MAP_CELLS", "neuron_stride", "neuron_range", "output_range", "quantize", "pack_frame"]

#: about how many cells a side of a hidden neuron's small map has
NEURON_MAP_CELLS = 32


def neuron_stride(grid_size: int) -> int:
    """The step between the grid cells kept for the small neuron maps (3 for the default G = 105)."""
    return max(1, grid_size // NEURON_MAP_CELLS)


def neuron_range(activation: str) -> tuple[float, float]:
    """The colour scale of a hidden neuron: 0..1 for sigmoid, -1..1 otherwise."""
    return (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)


def output_range(task: str) -> tuple[float, float]:
    """The colour scale of the output: P(class 1) in 0..1, or a predicted value on -1..1."""
    return (0.0, 1.0) if task == "classification" else (-1.0, 1.0)


def quantize(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` mapped linearly from [lo, hi] onto 0..255 (clipped, rounded): uint8, same shape."""
    scaled = (np.asarray(values, dtype=np.float32) - np.float32(lo)) * np.float32(255.0 / (hi - lo))
    np.clip(scaled, 0.0, 255.0, out=scaled)
    scaled += np.float32(0.5)
    return scaled.astype(np.uint8)


def _top_first(grid: np.ndarray) -> np.ndarray:
    """A grid whose row 0 is at the bottom (``grid_points``' order), as an image: top row first."""
    return grid[..., ::-1, :]


@lru_cache(maxsize=8)
def _feature_maps(extent: tuple[float, float, float, float], G: int) -> np.ndarray:
    """Every feature of :data:`FEATURES` on the grid, scaled to [-1, 1], as sent: uint8 (7, G, G)."""
    values = feature_matrix(grid_points(extent, G), tuple(FEATURES)).T.reshape(len(FEATURES), G, G)
    scale = np.maximum(np.abs(values).reshape(len(FEATURES), -1).max(axis=1), 1e-12)
    maps = quantize(_top_first(values / scale[:, None, None]), -1.0, 1.0)
    maps.flags.writeable = False
    return maps


def _points(session: PlaygroundSession) -> np.ndarray:
    """x1, x2, label or value, kind of every point: float32 (N, 4)."""
    d = session.data
    drawn = np.asarray(session.settings.points, dtype=np.float64).reshape(-1, 3)
    rows = []
    for X, y, kind in ((d.X_train, d.y_train, 0), (d.X_test, d.y_test, 1)):
        value = y.astype(np.float64).reshape(len(X), -1)[:, 0]
        rows.append(np.column_stack([X, value, np.full(len(X), kind)]))
    if len(drawn):
        value = drawn[:, 2] if d.task == "classification" else 2.0 * drawn[:, 2] - 1.0
        rows.append(np.column_stack([drawn[:, :2], value, np.full(len(drawn), 2)]))
    return np.ascontiguousarray(np.vstack(rows), dtype=np.float32)


def _buffer(arrays: list, header: dict, name: str, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    if array.dtype.byteorder == ">":               # the browser reads little-endian
        array = array.astype(array.dtype.newbyteorder("<"))
    header["buffers"].append([name, array.dtype.name, list(array.shape)])
    arrays.append(array)


def pack_frame(session: PlaygroundSession, *, full: bool, layout_id: int, loss_start: int = 0,
               focus: int = -1) -> tuple[dict, list[memoryview]]:
    """The header and buffers of one frame for the browser (see the module docstring).

    ``loss_start``: the first epoch whose losses are sent (the browser has those before it);
    ``focus``: the index of a hidden neuron to send at full resolution, or -1.
    """
    s, d, snap = session.settings, session.data, session.snapshot
    G = session.grid_size
    stride = neuron_stride(G)
    n_losses = len(session.train_losses)
    loss_start = 0 if full else max(0, min(int(loss_start), n_losses - 1))
    header: dict[str, Any] = {
        "type": "frame", "full": bool(full), "layout_id": int(layout_id), "epoch": int(session.epoch),
        "train_loss": float(session.train_losses[-1]), "test_loss": float(session.test_losses[-1]),
        "loss_start": loss_start, "diverged": bool(session.diverged), "buffers": [],
    }
    arrays: list[np.ndarray] = []
    _buffer(arrays, header, "output", _top_first(snap.output).astype(np.float32, copy=False))
    lo, hi = neuron_range(s.activation)
    if snap.hidden is not None:
        every = np.concatenate([_top_first(np.asarray(h, dtype=np.float32)) for h in snap.hidden]) \
            if snap.hidden else np.zeros((0, G, G), np.float32)
        offset = stride // 2
        _buffer(arrays, header, "neurons", quantize(every[:, offset::stride, offset::stride], lo, hi))
        if 0 <= focus < every.shape[0]:
            header["focus"] = int(focus)
            _buffer(arrays, header, "focus", quantize(every[focus], lo, hi))
    weights = [np.ravel(w) for w in session.link_weights()] + session.node_biases()
    _buffer(arrays, header, "weights", np.concatenate(weights).astype(np.float32))
    losses = np.column_stack([session.train_losses[loss_start:], session.test_losses[loss_start:]])
    _buffer(arrays, header, "losses", losses.astype(np.float32))
    if full:
        small = len(range(stride // 2, G, stride))
        header.update(
            sizes=[len(s.features), *s.hidden, 1], features=list(s.features),
            feature_labels={f: FEATURE_LABELS[f] for f in FEATURES}, all_features=list(FEATURES),
            task=d.task, extent=[float(v) for v in d.extent], grid=G, small=small,
            neuron_range=[lo, hi], output_range=list(output_range(d.task)), activation=s.activation,
            n_drawn=len(s.points), model=session.model_description)
        _buffer(arrays, header, "points", _points(session))
        _buffer(arrays, header, "inputs", _feature_maps(tuple(d.extent), G))
    return header, [memoryview(a).cast("B") if a.size else b"" for a in arrays]
