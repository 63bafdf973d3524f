"""Interactive explorers for the lessons (ipywidgets + a persistent matplotlib figure).

Each explorer is a model (pure functions, in its module) and a view; the factory functions build
the views. Display one by ending a notebook cell with it. The rendering path they share, and why it
was chosen, is described in ``render.py``; ``ahead.py`` draws the pictures of the next key presses
before they are asked for.

- lesson 01 ``neuron``, lesson 02 ``loss_curve``, lesson 03 ``step_size``,
  lessons 04-05 ``step_through`` (on ``graph_walk``), lesson 06 ``descent`` (on ``surfaces``),
  lesson 08 the ``playground`` subpackage.

This file is a list of imports, one line per module: the public names are exactly the names
imported here (``__all__`` is computed from them below). The factory ``playground`` shares its name
with the subpackage it comes from; ``widgets.playground`` is the factory.
"""
from .descent import DescentExplorer, descent_explorer
from .loss_curve import LossExplorer, loss_explorer
from .neuron import NeuronExplorer, neuron_explorer
from .playground import Playground, mlp_from_json, playground
from .render import ExplorerView, FigureView, Heatmap, new_figure, png_bytes, text_block
from .step_size import StepSizeExplorer, step_size_explorer
from .step_through import StepThroughExplorer, step_through_explorer

__all__ = sorted(name for name, value in list(globals().items())
                 if not name.startswith("_") and getattr(value, "__module__", "").startswith(__name__ + "."))
