"""Training playground (lesson 08): the trained weights as JSON, and back into an ``MLP``.

:func:`export_weights` writes what the export button saves: the weights and biases of every layer
and what is needed to use them again (the input features, the layer sizes, the activation, the loss,
the settings of the run); :func:`mlp_from_json` builds the ``MLP`` back from that text, bit for bit.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import numpy as np

from ...validation import describe
from ...network import MLP
from .model import PlaygroundSettings, layer_sizes

__all__ = ["export_weights", "mlp_from_json"]

_FORMAT = "backprop_helpers playground weights, version 1"


def export_weights(model: Any, settings: PlaygroundSettings, task: str, *, epoch: int = 0,
                   losses: tuple[float, float] | None = None) -> str:
    """The trained weights as a JSON text, with what is needed to use them again.

    Keys: ``format``, ``layer_sizes``, ``activation``, ``loss``, ``features`` (the input features,
    in order: apply ``model.feature_matrix`` to new points), ``task``, ``dataset``, ``epoch``,
    ``train_loss``/``test_loss``, ``settings``, and ``params`` (``W1``: a list of rows, shape
    (H_{l-1}, H_l); ``b1``: a list, ...). Numbers are written exactly (shortest round-trip form).
    """
    params = {k: np.asarray(v, dtype=np.float64).tolist() for k, v in model.params.items()}
    train_loss, test_loss = losses if losses is not None else (None, None)
    document = {
        "format": _FORMAT,
        "layer_sizes": list(layer_sizes(settings.features, settings.hidden, task)),
        "activation": settings.activation,
        "loss": "softmax_cross_entropy" if task == "classification" else "mse",
        "features": list(settings.features), "task": task, "dataset": settings.dataset,
        "epoch": int(epoch), "train_loss": train_loss, "test_loss": test_loss,
        "settings": {**asdict(settings), "features": list(settings.features),
                     "hidden": list(settings.hidden)},
        "params": params,
    }
    # one line per entry and per parameter: readable, and short enough to scroll through
    entries = [f'  {json.dumps(name)}: {json.dumps(value)}' for name, value in document.items()
               if name != "params"]
    weights = ",\n".join(f'    {json.dumps(name)}: {json.dumps(value)}' for name, value in params.items())
    return "{\n" + ",\n".join([*entries, f'  "params": {{\n{weights}\n  }}']) + "\n}\n"


def mlp_from_json(text: str | dict) -> MLP:
    """The ``MLP`` described by :func:`export_weights`'s JSON text (or its parsed dict).

    Its input is ``feature_matrix(X, tuple(document["features"]))``; its regularisation is the
    one it was trained with.
    """
    fn = "mlp_from_json"
    if isinstance(text, (str, bytes)):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{fn}: text is not valid JSON ({exc})") from None
    else:
        document = text
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        raise ValueError(f"{fn}: text must be the JSON written by the playground's export "
                         f"(format {_FORMAT!r}), got {describe(document)}")
    for key in ("layer_sizes", "activation", "loss", "params"):
        if key not in document:
            raise ValueError(f"{fn}: the JSON has no {key!r} entry")
    reg = document.get("settings", {}).get("regularization", "none")
    model = MLP(tuple(document["layer_sizes"]), document["activation"], document["loss"],
                regularization=None if reg == "none" else reg,
                reg_strength=document.get("settings", {}).get("reg_rate", 0.0))
    for name, target in model.params.items():
        if name not in document["params"]:
            raise ValueError(f"{fn}: the JSON has no parameter {name!r} (layer_sizes "
                             f"{model.layer_sizes} needs {list(model.params)})")
        model.params[name] = np.asarray(document["params"][name], dtype=np.float64)
    return model
