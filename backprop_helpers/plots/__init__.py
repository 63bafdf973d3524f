"""Figures of the course (matplotlib only): loss curves, decision boundaries, the step-size study,
activations (``figures``), and computational graphs of ``Value`` expressions (``graph``).

Import it explicitly, since it loads matplotlib: ``from backprop_helpers import plots``.
"""
from .figures import (CLASS_COLORS, CLASS_MARKERS, plot_activation, plot_decision_boundary,
                      plot_loss_curves, plot_step_size_errors)
from .graph import draw_graph

__all__ = ["draw_graph", "plot_loss_curves", "plot_decision_boundary", "plot_step_size_errors",
           "plot_activation", "CLASS_COLORS", "CLASS_MARKERS"]
