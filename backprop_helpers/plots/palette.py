"""The course's colours: one palette with one meaning in every lesson, figure and widget.

Two colours carry the course's two-sided quantities, always with the same meaning:

- **blue** (``CLASS_0 = NEGATIVE``): class 0, a negative value (a weight, an activation, a score);
- **orange** (``CLASS_1 = POSITIVE``): class 1, a positive value;
- white (``ZERO``) sits between them in a diverging scale: a value of 0, a probability of one half.

Blue and orange from the Okabe-Ito set stay apart for readers with any of the three common colour-vision
deficiencies (deuteranopia, protanopia, tritanopia): they differ in lightness as well as in hue, which
is what survives each of them. Lines that must be told apart (several curves in one plot) take
``LINE_COLORS`` in order and a different ``LINE_STYLES`` entry each, so that they differ by more than
colour. Everything that draws (matplotlib figures here, the browser front end of the playground) reads
these names; none writes a colour of its own for these meanings.
"""
from __future__ import annotations

import numpy as np

__all__ = ["CLASS_0", "CLASS_1", "NEGATIVE", "POSITIVE", "ZERO", "CLASS_COLORS", "CLASS_MARKERS",
           "LINE_COLORS", "LINE_STYLES", "LINE_MARKERS", "TEXT", "MUTED", "GRID", "ERROR", "FORWARD_PASS",
           "BACKWARD_PASS", "STATE_FILLS", "diverging_colormap", "centred_colormap", "sequential_colormap",
           "tint"]

#: class 0, and negative values
CLASS_0 = NEGATIVE = "#0072B2"
#: class 1, and positive values
CLASS_1 = POSITIVE = "#E69F00"
#: the middle of a diverging scale: zero, or a probability of one half
ZERO = "#FFFFFF"
#: class k is drawn in CLASS_COLORS[k] (two classes use the first two)
CLASS_COLORS = (CLASS_0, CLASS_1, "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: curves of one plot, in order: blue, vermilion, bluish green, reddish purple, sky blue, black
LINE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#000000")
#: matplotlib line styles to pair with LINE_COLORS, so curves differ by more than colour
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
#: text, and secondary text or axes
TEXT, MUTED = "#222222", "#6b6b6b"
#: a different marker per class as well, so that the classes differ by more than colour
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: markers to pair with LINE_COLORS where a curve's point is marked
LINE_MARKERS = ("o", "s", "^", "D", "v", "P")
#: light lines behind the data: grids, the zero line
GRID = "#d9d9d9"
#: a message that says something went wrong (text on white: contrast 7:1)
ERROR = "#b00020"
#: the two passes through a computational graph: forward in LINE_COLORS[0], backward in LINE_COLORS[1]
#: (drawn solid and dashed, so that they differ by more than colour)
FORWARD_PASS, BACKWARD_PASS = LINE_COLORS[0], LINE_COLORS[1]
#: fills of a graph's boxes by what is known: nothing yet (white), the value (light grey), the value
#: computed now (LINE_COLORS[0] half mixed with white), the gradient computed now (LINE_COLORS[1], the
#: same), the gradient (LINE_COLORS[2], a little paler). The box lit up now also gets a thick edge,
#: and each box says in words what it knows ("value ?", "grad 0.642"), so no state is told by its
#: fill alone; tests/test_palette.py measures how far apart the fills stay for each deficiency
STATE_FILLS = {"unknown": "#FFFFFF", "value": "#E3E3E3", "forward": "#80B9D8", "backward": "#EAAE80",
               "gradient": "#8CD3C0"}


def diverging_colormap(name: str = "course_diverging", *, pale: float = 0.0):
    """A matplotlib colormap from ``NEGATIVE`` (blue) through ``ZERO`` (white) to ``POSITIVE`` (orange).

    ``pale`` in [0, 1) mixes both ends towards white (0: the full colours), for backgrounds under points.
    """
    from matplotlib.colors import LinearSegmentedColormap, to_rgb

    if not 0.0 <= pale < 1.0:
        raise ValueError(f"diverging_colormap: pale must be in [0, 1), got {pale!r}")

    def faded(colour: str) -> tuple[float, float, float]:
        return tuple(c + (1.0 - c) * pale for c in to_rgb(colour))

    return LinearSegmentedColormap.from_list(name, [faded(NEGATIVE), to_rgb(ZERO), faded(POSITIVE)])


def tint(colour: str, amount: float) -> tuple[float, float, float]:
    """``colour`` mixed with white: ``amount`` 0 gives the colour, 1 gives white."""
    from matplotlib.colors import to_rgb

    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"tint: amount must be in [0, 1], got {amount!r}")
    return tuple(c + (1.0 - c) * amount for c in to_rgb(colour))


def centred_colormap(low: float, high: float, centre: float, *, pale: float = 0.0):
    """The diverging scale for values from ``low`` to ``high`` with its white at ``centre``.

    Both sides keep the same scale: a value ``d`` away from ``centre`` takes the colour that
    ``diverging_colormap`` gives ``d / r`` of the way from white to its end, where ``r`` is the larger
    of ``centre - low`` and ``high - centre``. So a range that ends at its centre (ReLU's outputs,
    0 to 4, white at 0) is white to orange only. Use it with the limits ``(low, high)``.
    """
    from matplotlib.colors import ListedColormap

    if not low <= centre <= high or not low < high:
        raise ValueError(f"centred_colormap: need low <= centre <= high and low < high, got "
                         f"low={low!r}, centre={centre!r}, high={high!r}")
    reach = max(centre - low, high - centre)
    t = np.linspace(low, high, 256)
    return ListedColormap(diverging_colormap(pale=pale)(0.5 + (t - centre) / (2.0 * reach)),
                          name=f"course_centred_{centre:g}")


def sequential_colormap(name: str = "course_levels"):
    """Heights of a surface (a loss): white at the top, a muted bluish green at the bottom.

    Neither blue nor orange, so that it never reads as a class or a sign, and light, so that lines
    in ``LINE_COLORS`` drawn over it stand out.
    """
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list(name, [tint(LINE_COLORS[2], 0.25), tint(LINE_COLORS[2], 0.7),
                                                    ZERO])
