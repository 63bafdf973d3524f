"""The training playground of lesson 08: ``model`` (settings, data, features: pure functions),
``session`` (the training state between ticks), ``weights`` (the trained network as JSON and back),
``state`` (the settings, seed and drawn points as one line of text), ``frames`` (what the kernel
sends the browser after an epoch, as binary arrays) and ``widget`` (the view, made by
``playground()``), whose front end ``front.js`` and ``front.css`` draw in the browser."""
from .weights import export_weights, mlp_from_json
from .widget import Playground, playground

__all__ = ["Playground", "playground", "export_weights", "mlp_from_json"]
