"""Interactive explorers for the lessons (ipywidgets + a persistent matplotlib figure).

Each explorer is a model (pure functions, in its module) and a view; the factory functions build
the views. Display one by ending a notebook cell with it. The rendering path they share, and why it
was chosen, is described in ``_render.py``.

This file is a list of imports, one line per module: the public names are exactly the names
imported here (``__all__`` is computed from them below).
"""
from ._render import ExplorerView, FigureView, Heatmap, new_figure, png_bytes, text_block
from .descent import DescentExplorer, descent_explorer
from .loss import LossExplorer, loss_explorer
from .neuron import NeuronExplorer, neuron_explorer
from .playground import Playground, mlp_from_json, playground
from .step_size import StepSizeExplorer, step_size_explorer
from .step_through import StepThroughExplorer, step_through_explorer

__all__ = sorted(name for name, value in list(globals().items())
                 if not name.startswith("_") and getattr(value, "__module__", "").startswith(__name__ + "."))
