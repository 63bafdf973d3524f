"""The training playground of lesson 08: ``model`` (settings, data, features: pure functions),
``session`` (the training state between ticks), ``weights`` (the trained network as JSON and back),
``figure`` (the drawing) and ``widget`` (the view, made by ``playground()``)."""
from .weights import export_weights, mlp_from_json
from .widget import Playground, playground

__all__ = ["Playground", "playground", "export_weights", "mlp_from_json"]
