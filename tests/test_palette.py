"""The course's one palette (plots/palette.py): told apart under colour-vision deficiency, used everywhere.

1. **Colour-vision deficiency.** Each colour is simulated as a reader with protanopia, deuteranopia or
   tritanopia sees it, with the matrices of Machado, Oliveira and Fernandes (2009, "A physiologically-
   based model for simulation of color vision deficiency", IEEE TVCG 15(6)) at severity 1, applied to
   linear RGB. The colours that must be told apart are then compared by their CIEDE2000 colour
   difference (Sharma, Wu and Dalal 2005, whose published test pairs check the implementation here):
   class 0 and class 1 (the same colours as negative and positive), the paler versions the neuron
   explorer shades the plane with, each pair of LINE_COLORS that one plot draws together, and the two
   passes of the step-through. A difference of 10 is plainly visible side by side; 40 is the
   difference of two clearly different hues.
2. **One palette.** No explorer or figure module names a colour of its own: no colour name, hex colour,
   colour-cycle reference ("C3") or colormap name as a literal, except neutral greys, black and white
   (and the short, justified allow-list below). The same for the code of the notebooks of lessons 01-07.
"""
from __future__ import annotations

import ast
import itertools
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import get_named_colors_mapping, to_rgb

from backprop_helpers.plots import palette

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ colour science, written out

#: Machado et al. (2009), severity 1.0: linear RGB -> linear RGB as the deficient reader sees it
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
VISIONS = (None, *MACHADO)          # None: normal colour vision

#: linear sRGB -> CIE XYZ (D65), and the D65 white point
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = SRGB_TO_XYZ.sum(axis=1)


def linear(rgb) -> np.ndarray:
    """sRGB in [0, 1] -> linear RGB (the sRGB transfer function undone)."""
    c = np.asarray(rgb, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab_of_linear(rgb_linear) -> np.ndarray:
    """Linear RGB -> CIE L*a*b* (D65)."""
    t = SRGB_TO_XYZ @ np.asarray(rgb_linear, dtype=float) / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour, vision: str | None) -> np.ndarray:
    """The L*a*b* of ``colour`` (any matplotlib colour) as a reader with ``vision`` sees it."""
    rgb = linear(to_rgb(colour))
    if vision is not None:
        rgb = np.clip(MACHADO[vision] @ rgb, 0.0, 1.0)
    return lab_of_linear(rgb)


def ciede2000(lab1, lab2) -> float:
    """The CIEDE2000 colour difference of two L*a*b* colours (kL = kC = kH = 1)."""
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if (a1p or b1) else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if (a2p or b2) else 0.0
    dl, dc = L2 - L1, c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    else:
        dh = h2p - h1p
        dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    rotation = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    sc, sh = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    rt = -np.sin(np.radians(2 * rotation)) * rc
    return float(np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (d_h / sh) ** 2 + rt * (dc / sc) * (d_h / sh)))


def difference(a, b, vision: str | None) -> float:
    return ciede2000(seen(a, vision), seen(b, vision))


# ------------------------------------------------------------------ the method checked

#: pairs of Sharma, Wu and Dalal (2005), table 1: (L*a*b* 1, L*a*b* 2, CIEDE2000)
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, -0.001, 2.49), (50.0, 0.0009, -2.49), 4.8045),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
]


@pytest.mark.parametrize("lab1, lab2, expected", SHARMA_PAIRS)
def test_ciede2000_gives_the_published_differences(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(np.array(lab2), np.array(lab1)) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("vision", list(MACHADO))
def test_the_simulation_keeps_greys_and_merges_each_deficiencys_confusion_colours(vision):
    np.testing.assert_allclose(MACHADO[vision].sum(axis=1), 1.0, atol=2e-6)   # white and greys unchanged
    for grey in ("#000000", "#777777", "#ffffff"):
        assert difference(grey, grey, None) == 0 and ciede2000(seen(grey, vision), seen(grey, None)) < 0.1
    # red and green look alike to protanopes and deuteranopes, blue and green more alike to tritanopes
    pair = ("#ff0000", "#00b000") if vision != "tritanopia" else ("#0072ff", "#00c0a0")
    assert difference(*pair, vision) < 0.5 * difference(*pair, None)


# ------------------------------------------------------------------ the palette's colours apart

#: pairs that must be told apart -> the smallest CIEDE2000 difference allowed, in every vision
REQUIRED = {
    "class 0 / class 1 (negative / positive)": ((palette.CLASS_0, palette.CLASS_1), 40.0),
    "the plane's two sides in the neuron explorer": ((palette.tint(palette.NEGATIVE, 0.3),
                                                      palette.tint(palette.POSITIVE, 0.3)), 40.0),
    "class 0 / the white middle of the scale": ((palette.CLASS_0, palette.ZERO), 30.0),
    "class 1 / the white middle of the scale": ((palette.CLASS_1, palette.ZERO), 30.0),
    "forward / backward pass (step-through arrows)": ((palette.FORWARD_PASS, palette.BACKWARD_PASS), 40.0),
    "box computed now: forward / backward (step-through)": ((palette.STATE_FILLS["forward"],
                                                             palette.STATE_FILLS["backward"]), 20.0),
}
#: the most curves one plot of lessons 01-07 draws together: plot_step_size_errors (forward, central,
#: complex step, backward); the step-size explorer draws the first three, plot_loss_curves two
CURVES_TOGETHER = 4
LINE_PAIRS_MINIMUM = 10.0


@pytest.mark.parametrize("vision", VISIONS, ids=lambda v: v or "normal")
@pytest.mark.parametrize("what", list(REQUIRED))
def test_colours_that_carry_a_meaning_stay_apart(what, vision):
    (a, b), minimum = REQUIRED[what]
    assert difference(a, b, vision) >= minimum, f"{what}: CIEDE2000 {difference(a, b, vision):.1f} < {minimum}"


@pytest.mark.parametrize("vision", VISIONS, ids=lambda v: v or "normal")
def test_line_colours_drawn_together_stay_apart(vision):
    colours = palette.LINE_COLORS[:CURVES_TOGETHER]
    worst = min((difference(a, b, vision), i, j)
                for (i, a), (j, b) in itertools.combinations(enumerate(colours), 2))
    assert worst[0] >= LINE_PAIRS_MINIMUM, \
        f"LINE_COLORS[{worst[1]}] and [{worst[2]}]: CIEDE2000 {worst[0]:.1f} < {LINE_PAIRS_MINIMUM}"
    # and their styles differ too, so two curves never differ by colour alone
    assert len(set(map(str, palette.LINE_STYLES[:CURVES_TOGETHER]))) == CURVES_TOGETHER


def test_the_old_colours_of_the_step_size_explorer_fail_this_test():
    """The pair the step-size explorer used for "central" and "complex step" before the palette
    (matplotlib's default orange and green): under protanopia nearly the same colour."""
    assert difference("#ff7f0e", "#2ca02c", "protanopia") < LINE_PAIRS_MINIMUM


def test_the_neuron_explorers_scale_is_white_at_the_activations_value_on_the_line():
    from backprop_helpers.widgets.neuron import on_the_line

    white = np.array(to_rgb(palette.ZERO))
    for low, high, centre in ((0.0, 1.0, on_the_line("sigmoid")), (-1.0, 1.0, on_the_line("tanh")),
                              (0.0, 4.0, on_the_line("relu")), (-4.0, 4.0, on_the_line("linear"))):
        cmap = palette.centred_colormap(low, high, centre)
        at_centre = np.array(cmap((centre - low) / (high - low))[:3])
        assert np.abs(at_centre - white).max() < 0.01, (low, high, centre)
        ends = [np.array(cmap(t)[:3]) for t in (0.0, 1.0)]
        assert difference(ends[1], palette.POSITIVE, None) < 1.0            # above the line: orange
        if low < centre:
            assert difference(ends[0], palette.NEGATIVE, None) < 1.0        # below: blue
        else:
            assert np.abs(ends[0] - white).max() < 0.01                     # ReLU: nothing below 0
    with pytest.raises(ValueError, match="centred_colormap: need low <= centre <= high"):
        palette.centred_colormap(0.0, 1.0, 2.0)


# ------------------------------------------------------------------ one palette, no colour of one's own

#: explorer and figure modules (the playground, rebuilt elsewhere, is checked by its own tests)
MODULES = sorted([*(ROOT / "backprop_helpers" / "widgets").glob("*.py"),
                  *(p for p in (ROOT / "backprop_helpers" / "plots").glob("*.py") if p.name != "palette.py")])
#: the code of the notebooks of lessons 01-07
NOTEBOOKS = sorted((ROOT / "solutions").glob("0[1-7]_*.ipynb"))
#: justified exceptions: (file name, literal) -> why
ALLOWED = {
    ("graph.py", "#FFE9C7"): "draw_graph's fill for the output box: a pale tint that marks the root, not a class",
    ("graph.py", "#E3EEF8"): "draw_graph's fill for the input boxes: a pale tint that marks the leaves, not a sign",
}
NEUTRAL = {"black", "white", "k", "w", "none", "gray", "grey", "lightgray", "lightgrey", "darkgray", "darkgrey",
           "dimgray", "dimgrey", "silver", "gainsboro", "whitesmoke", "gray", "Greys", "Greys_r", "binary",
           "gist_gray", "gist_yarg"}
COLOUR_KEYWORDS = {"color", "colors", "c", "facecolor", "facecolors", "fc", "edgecolor", "edgecolors", "ec",
                   "mfc", "mec", "markerfacecolor", "markeredgecolor", "cmap", "stroke"}
HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
PLOT_FORMAT = re.compile(r"^[-.:o^v<>sp*hHDd|_+x1234]*[bgrcmy][-.:o^v<>sp*hHDd|_+x1234]*$")


def is_grey(hex_colour: str) -> bool:
    r, g, b = to_rgb(hex_colour)
    return r == g == b


def own_colours(source: str, where: str) -> list[str]:
    """The colour literals in Python ``source`` that are not neutral: a named colour or colormap, a
    hex colour (also inside HTML), a colour-cycle reference, a colour letter in a plot format."""
    named = {name for name in get_named_colors_mapping() if len(name) > 1} - NEUTRAL
    colormaps = set(matplotlib.colormaps) - NEUTRAL
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if text in named or text in colormaps or re.fullmatch(r"C[0-9]", text):
                found.append(f"{where}:{node.lineno}: {text!r}")
            found += [f"{where}:{node.lineno}: {h!r}" for h in HEX.findall(node.value) if not is_grey(h)]
        elif isinstance(node, ast.keyword) and node.arg in COLOUR_KEYWORDS:
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and len(value.value) == 1 \
                    and value.value not in NEUTRAL:
                found.append(f"{where}:{value.lineno}: {node.arg}={value.value!r}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("plot", "loglog", "semilogy",
                                                                               "semilogx"):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and PLOT_FORMAT.match(arg.value):
                    found.append(f"{where}:{arg.lineno}: plot format {arg.value!r}")
    name = where.split(":")[0].rsplit("/", 1)[-1]
    return [f for f in found if not any((name, literal) in ALLOWED and repr(literal) in f
                                        for literal in HEX.findall(f) + [f.split(": ")[-1].strip("'")])]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_explorer_or_figure_module_names_a_colour_of_its_own(module):
    assert not own_colours(module.read_text(encoding="utf-8"), f"{module.parent.name}/{module.name}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_figures_of_lessons_01_to_07_use_the_palette(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            found += own_colours(source, f"{notebook.name} cell {i}")
    assert not found


def test_the_check_finds_what_it_should():
    """The grep-like check itself, on code written the old ways."""
    bad = ('ax.plot(x, y, color="tab:red")\nax.imshow(z, cmap="RdBu_r")\nC = "#d62728"\n'
           'ax.plot(x, y, "r-")\nax.scatter(x, y, c="b")\nax.plot(x, y, color="C3")\n'
           'html = "<td style=\'color:#1f77b4\'>"\nax.contourf(x, y, z, cmap="coolwarm")\n')
    assert len(own_colours(bad, "bad.py")) == 8
    fine = ('ax.plot(x, y, color=LINE_COLORS[0])\nax.plot(x, y, "o-", color="black")\n'
            'text = "class 0 blue circles, class 1 orange squares"\nface = "#e6e6e6"\n'
            'slider = FloatSlider(description="b")\n')
    assert own_colours(fine, "fine.py") == []
