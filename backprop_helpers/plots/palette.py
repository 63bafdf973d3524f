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

__all__ = ["CLASS_0", "CLASS_1", "NEGATIVE", "POSITIVE", "ZERO", "CLASS_COLORS", "LINE_COLORS",
           "LINE_STYLES", "TEXT", "MUTED", "diverging_colormap"]

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
