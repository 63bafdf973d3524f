"""The rendering path shared by the explorers: FigureView, png_bytes, new_figure, ExplorerView."""
from __future__ import annotations

import html
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

pytest.importorskip("ipywidgets")

from backprop_helpers.plots.palette import ERROR, MUTED  # noqa: E402
from backprop_helpers.widgets import ExplorerView, FigureView, new_figure, png_bytes  # noqa: E402


def _line_view(figsize=(3, 2), pixel_ratio=1.0):
    view = FigureView(new_figure(figsize, dpi=50), pixel_ratio=pixel_ratio)
    ax = view.figure.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    line, = ax.plot([0.2, 0.8], [0.2, 0.8], lw=3)   # away from the spines (drawn under them when not blitted)
    view.animate(line)
    return view, line


# ------------------------------------------------------------------------------------ png_bytes

@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([3, 4]))),
       st.integers(0, 9))
def test_png_bytes_round_trip_at_every_level(pixels, level):
    data = png_bytes(pixels, compress_level=level)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(data))
    img.verify()                                   # checks every chunk's CRC
    decoded = Image.open(io.BytesIO(data))
    assert decoded.mode == ("RGBA" if pixels.shape[2] == 4 else "RGB")
    np.testing.assert_array_equal(np.asarray(decoded), pixels)


def test_png_bytes_of_a_non_contiguous_view():
    rgba = np.arange(6 * 8 * 4, dtype=np.uint8).reshape(6, 8, 4)[::2, ::2]
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(rgba)))), rgba)
    rgb = rgba[..., :3]                                                 # RGB out of an RGBA buffer
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(rgb)))), rgb)


def test_png_bytes_refuses_other_arrays():
    with pytest.raises(ValueError, match=r"png_bytes: pixels must be a \(H, W, 4\) or \(H, W, 3\) uint8 "
                                         r"array, got float64 \(2, 2, 3\)"):
        png_bytes(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"got uint8 \(2, 2, 2\)"):
        png_bytes(np.zeros((2, 2, 2), np.uint8))


# ----------------------------------------------------------------------------------- new_figure

def test_new_figure_is_unknown_to_pyplot():
    before = plt.get_fignums()
    fig = new_figure((4, 3), dpi=50)
    assert plt.get_fignums() == before
    assert fig.canvas.get_width_height() == (200, 150)


# ----------------------------------------------------------------------------------- FigureView

def test_redraw_sends_a_png_of_the_figure_size_and_counts_renders():
    view, _ = _line_view()
    assert view.render_count == 0 and view.image_bytes() == b""
    view.redraw()
    assert view.render_count == 1
    assert view.widget.value == view.image_bytes()
    assert view.image_array().shape == (100, 150, 4)
    assert (view.widget.layout.width, view.widget.layout.height) == ("150px", "100px")


def test_at_pixel_ratio_two_the_image_has_twice_the_pixels_shown_at_the_same_size():
    view, _ = _line_view(pixel_ratio=2)
    view.redraw()
    assert view.image_array().shape == (200, 300, 4) and view.css_size == (150, 100)
    assert (view.widget.layout.width, view.widget.layout.height) == ("150px", "100px")
    # the same picture as at ratio 1, twice as fine: scaled down, it is the ratio-1 image within a few levels
    one, _ = _line_view(pixel_ratio=1)
    one.redraw()
    small = np.asarray(Image.fromarray(view.image_array()).resize((150, 100), Image.Resampling.BOX))
    assert np.mean(np.abs(small.astype(int) - one.image_array().astype(int)) > 60) < 0.02
    renders = view.render_count
    view.set_pixel_ratio(1)                         # a change of ratio draws and sends again
    assert view.render_count == renders + 1 and view.image_array().shape == (100, 150, 4)
    view.set_pixel_ratio(1)                         # the same ratio: nothing to do
    assert view.render_count == renders + 1
    with pytest.raises(ValueError, match=r"FigureView.set_pixel_ratio: ratio must be a number in \[1, 4\], "
                                         r"got 0.5"):
        view.set_pixel_ratio(0.5)


def test_display_pixel_ratio_draws_at_one_or_two():
    from backprop_helpers.widgets.render import display_pixel_ratio

    assert [display_pixel_ratio(r) for r in (0.5, 1, 1.25, 1.5, 2, 3)] == [1, 1, 2, 2, 2, 2]
    with pytest.raises(TypeError, match="display_pixel_ratio: device_pixel_ratio must be a finite number"):
        display_pixel_ratio(float("nan"))


def test_refresh_changes_the_image_when_an_animated_artist_moves():
    view, line = _line_view()
    view.redraw()
    first = view.image_array()
    line.set_ydata([1, 0])
    view.refresh()
    assert view.render_count == 2
    assert not np.array_equal(first, view.image_array())
    line.set_ydata([0.2, 0.8])
    view.refresh()
    np.testing.assert_array_equal(first, view.image_array())   # the background was restored


def test_blitted_image_equals_a_full_draw_of_the_same_state():
    view, line = _line_view()
    view.redraw()
    line.set_ydata([0.8, 0.2])
    view.refresh()
    blitted = view.image_array()
    line.set_animated(False)
    view.figure.canvas.draw()
    full = np.asarray(view.figure.canvas.buffer_rgba())
    np.testing.assert_array_equal(blitted, full)


def test_animated_artists_stay_out_of_the_background():
    view, line = _line_view()
    view.redraw()
    with_line = view.image_array()
    line.set_visible(False)
    view.refresh()
    without = view.image_array()
    assert not np.array_equal(with_line, without)
    line.remove()
    view.figure.canvas.draw()
    np.testing.assert_array_equal(without, np.asarray(view.figure.canvas.buffer_rgba()))


def test_refresh_before_any_draw_and_after_a_resize_draws_everything():
    view, line = _line_view()
    view.refresh()                              # no background yet: a full draw
    assert view.render_count == 1 and view.image_array().shape == (100, 150, 4)
    view.figure.set_size_inches(4, 2)
    line.set_ydata([0.5, 0.5])
    view.refresh()
    assert view.image_array().shape == (100, 200, 4)
    assert view.widget.layout.width == "200px"


def test_redraw_shows_changes_to_static_artists():
    view, _ = _line_view()
    view.redraw()
    before = view.image_array()
    view.figure.axes[0].set_ylim(-5, 5)
    view.redraw()
    assert not np.array_equal(before, view.image_array())


def test_animate_accepts_groups_and_sorts_by_zorder():
    view = FigureView(new_figure((2, 2), dpi=40))
    ax = view.figure.add_subplot()
    top, = ax.plot([0, 1], [0, 1], zorder=5)
    bottom = ax.scatter([0.5], [0.5], zorder=1)
    text = ax.text(0.1, 0.1, "a", zorder=3)
    view.animate(top, [bottom, text])
    view.animate(top)                           # twice is once
    assert view.animated == (bottom, text, top)
    assert all(a.get_animated() for a in view.animated)


def test_transparent_figure_keeps_its_alpha():
    view, _ = _line_view()
    view.figure.patch.set_alpha(0.0)
    view.figure.axes[0].patch.set_alpha(0.0)
    view.redraw()
    assert Image.open(io.BytesIO(view.image_bytes())).mode == "RGBA"
    assert view.image_array()[0, 0, 3] == 0


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="FigureView: figure must be a matplotlib Figure, got str"):
        FigureView("figure")
    with pytest.raises(ValueError, match=r"FigureView: compress_level must be an int in 0..9, got 12"):
        FigureView(new_figure(), compress_level=12)
    view = FigureView()
    with pytest.raises(TypeError, match="FigureView.animate: expected matplotlib artists, got int"):
        view.animate([1])
    with pytest.raises(ValueError, match="FigureView.image_array: nothing has been drawn yet"):
        view.image_array()


def test_a_figure_with_another_canvas_gets_an_agg_canvas():
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2), dpi=30)
    FigureCanvasBase(fig)
    view = FigureView(fig, pixel_ratio=1)
    assert isinstance(view.figure.canvas, FigureCanvasAgg)
    view.redraw()
    assert view.image_array().shape == (60, 60, 4)


# --------------------------------------------------------------------------------- ExplorerView

class _Doubler(ExplorerView):
    """A tiny explorer: a slider whose value sets a line's height; negative values fail."""

    def __init__(self):
        import ipywidgets

        view, self.line = _line_view()
        super().__init__(view)
        self.height = ipywidgets.FloatSlider(value=0.5, min=-1, max=1)
        self._assemble([self.height])
        self._watch(self.height)
        self.safe_update()

    def update(self):
        if self.height.value < 0:
            raise ValueError("the height must be >= 0")
        self.line.set_ydata([self.height.value] * 2)
        self.view.refresh()

    def describe(self):
        return f"a line at height {self.height.value:g}"


def test_explorer_view_updates_on_a_control_change():
    ex = _Doubler()
    assert ex.update_count == 1 and ex.view.render_count == 1
    before = ex.view.image_array()
    ex.height.value = 0.9
    assert ex.update_count == 2 and ex.message_text == ""
    assert not np.array_equal(before, ex.view.image_array())
    assert ex.widget.children[1].children == (ex.view.widget, ex.alt)     # the figure, its text alternative
    assert ex.message in ex.widget.children[0].children
    assert "bp-explorer" in ex.widget._dom_classes and "bp-figure" in ex.view.widget._dom_classes
    assert ex.alt_text == "a line at height 0.9" and "Figure: a line at height 0.9" in ex.alt.value


def test_explorer_view_shows_a_failure_in_words_and_keeps_working():
    ex = _Doubler()
    ex.height.value = -0.5                       # the callback must not raise
    assert ex.message_text == "ValueError: the height must be >= 0"
    assert f"color: {ERROR}" in ex.message.value
    assert ex.update_count == 1
    ex.height.value = 0.2
    assert ex.message_text == "" and ex.update_count == 2
    np.testing.assert_array_equal(ex.line.get_ydata(), [0.2, 0.2])


def test_explorer_view_messages_are_escaped():
    ex = _Doubler()
    ex.show_message("a < b & c", level="info")
    assert ex.message_text == "a < b & c"
    assert "&lt;" in ex.message.value and MUTED in ex.message.value
    ex.clear_message()
    assert ex.message.value == ""


# -------------------------------------------------------------------------------------- Heatmap

def _heatmap_view(values, vmin=0.0, vmax=1.0):
    from backprop_helpers.widgets import Heatmap

    view = FigureView(new_figure((2, 2), dpi=50), pixel_ratio=1)   # 100 x 100 px
    ax = view.figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_axis_off()
    heat = Heatmap(ax, (0, 2, 0, 2), cmap="viridis", vmin=vmin, vmax=vmax)
    heat.set_data(values)
    view.animate(heat)
    view.redraw()
    return view, heat


def _viridis(t):
    import matplotlib

    return np.round(np.array(matplotlib.colormaps["viridis"](t)) * 255).astype(np.uint8)


def test_heatmap_row_zero_is_at_the_bottom_and_cells_fill_their_pixels():
    view, _ = _heatmap_view(np.array([[0.0, 1.0], [1.0, 0.0]]))   # row 0 = bottom: low, high
    img = view.image_array()                                      # row 0 of the image = top
    np.testing.assert_array_equal(img[75, 25], _viridis(0.0))     # bottom left
    np.testing.assert_array_equal(img[75, 75], _viridis(1.0))     # bottom right
    np.testing.assert_array_equal(img[25, 25], _viridis(1.0))     # top left
    np.testing.assert_array_equal(img[25, 75], _viridis(0.0))


def test_heatmap_clips_to_its_limits_and_draws_non_finite_values_grey():
    view, heat = _heatmap_view(np.array([[-5.0, 5.0], [np.nan, np.inf]]))
    img = view.image_array()
    np.testing.assert_array_equal(img[75, 25], _viridis(0.0))
    np.testing.assert_array_equal(img[75, 75], _viridis(1.0))
    np.testing.assert_array_equal(img[25, 25], [160, 160, 160, 255])
    np.testing.assert_array_equal(img[25, 75], [160, 160, 160, 255])
    heat.set_clim(-10, 10)
    assert heat.get_clim() == (-10, 10) and heat.mappable.get_clim() == (-10, 10)
    np.testing.assert_array_equal(heat.colour_indices(), [[64, 190], [255, 255]])


def test_heatmap_updates_when_blitted_and_equal_limits_do_not_divide_by_zero():
    view, heat = _heatmap_view(np.zeros((3, 3)))
    before = view.image_array()
    heat.set_data(np.ones((3, 3)))
    view.refresh()
    assert not np.array_equal(before, view.image_array())
    heat.set_clim(1.0, 1.0)
    assert (heat.colour_indices() == 0).all()
    np.testing.assert_array_equal(heat.get_array(), np.ones((3, 3)))


def test_heatmap_refuses_data_that_is_not_2d():
    _, heat = _heatmap_view(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"Heatmap.set_data: values must be 2-D \(rows, columns\), "
                                         r"got shape \(4,\)"):
        heat.set_data(np.zeros(4))


# ------------------------------------------------- every explorer: readable, named, described

def _explorers():
    from test_widgets_sequences import EXPLORERS

    return EXPLORERS


@pytest.mark.parametrize("name", ["neuron", "loss", "step_size", "step_through", "descent"])
def test_every_text_of_every_explorer_is_at_least_11_css_px(name):
    """At pixel ratio 1 a point is dpi/72 pixels: 8 pt is 11.1 px at the explorers' 100 dpi."""
    from matplotlib.text import Text

    factory, _ = _explorers()[name]
    explorer = factory(**({"position": 12} if name == "step_through" else {}))   # every kind of text shown
    view = explorer.view
    view.set_pixel_ratio(1)
    px_per_pt = view.figure.dpi / 72
    texts = [t for t in view.figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    small = [(t.get_text(), round(t.get_fontsize() * px_per_pt, 1)) for t in texts
             if t.get_fontsize() * px_per_pt < 11]
    layer = getattr(explorer, "texts", None)                  # the step-through's stamped lines
    if layer is not None:
        small += [(line.text, line.style["fontsize"] * px_per_pt) for line in layer.lines
                  if line.text and line.style["fontsize"] * px_per_pt < 11]
    assert not small, f"{name}: text below 11 px at ratio 1: {small}"
    html = " ".join(w.value for w in _walk(explorer.widget) if hasattr(w, "value") and isinstance(w.value, str))
    assert "<small>" not in html
    assert all(float(size) >= 11 for size in __import__("re").findall(r"font-size:\s*([\d.]+)px", html))


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


@pytest.mark.parametrize("name", ["neuron", "loss", "step_size", "step_through", "descent"])
def test_every_control_has_a_name_a_screen_reader_reads(name):
    import ipywidgets

    from test_widgets_sequences import CONTROL_TYPES

    factory, _ = _explorers()[name]
    explorer = factory()
    controls = [w for w in _walk(explorer.widget) if isinstance(w, CONTROL_TYPES)]
    assert controls
    for control in controls:
        assert control.description.strip(), f"{name}: {type(control).__name__} without a description"
        if not isinstance(control, ipywidgets.Button):
            assert control.description_allow_html is False      # read as text, never as markup
    # the page helper sits in the box, which is marked for it; the figure is marked as the figure
    assert "bp-explorer" in explorer.widget._dom_classes and "bp-figure" in explorer.view.widget._dom_classes
    assert explorer.helper is not None and explorer.helper in list(_walk(explorer.widget))


@pytest.mark.parametrize("name", ["neuron", "loss", "step_size", "step_through", "descent"])
def test_the_text_alternative_follows_every_control(name):
    """Each control the learner can use changes what the figure shows, and so its text alternative."""
    import ipywidgets

    from test_widgets_sequences import move, usable

    factory, names = _explorers()[name]
    explorer = factory()
    assert explorer.alt_text and html.escape(explorer.alt_text) in explorer.alt.value
    for control_name in names:
        control = getattr(explorer, control_name)
        if not usable(control) or control_name in ("backward_step", "reset"):   # both tried below
            continue
        before = explorer.alt_text
        if isinstance(control, ipywidgets.Button):
            control.click()
        elif isinstance(control, ipywidgets.widgets.widget_selection._Selection):
            move(control, 0.999 if control.index == 0 else 0.0)               # another option
        else:
            move(control, 0.999 if control.value == control.min else 0.0)     # another value
        assert explorer.alt_text != before, f"{name}: moving {control_name} left the text alternative as it was"
    if name == "step_through":
        for button in ("reset", "run_all", "reset"):
            before = explorer.alt_text
            getattr(explorer, button).click()
            assert explorer.alt_text != before, button


def test_the_page_helper_follows_the_displays_pixel_ratio():
    from backprop_helpers.widgets import neuron_explorer
    from backprop_helpers.widgets.render import _PAGE_HELPER_ESM

    explorer = neuron_explorer()
    assert explorer.view.pixel_ratio == 2.0                      # sharp until the page says otherwise
    renders = explorer.view.render_count
    explorer.helper.device_pixel_ratio = 1.0                     # what the browser sends on a 1x display
    assert explorer.view.pixel_ratio == 1.0 and explorer.view.render_count == renders + 1
    assert explorer.view.image_array().shape[:2] == (430, 540)
    explorer.helper.device_pixel_ratio = 1.25                    # a zoomed page: the 2x image
    assert explorer.view.pixel_ratio == 2.0 and explorer.view.image_array().shape[:2] == (860, 1080)
    for behaviour in ('"aria-label"', '"aria-valuetext"', '"aria-pressed"', '"data-lm-suppress-shortcuts"',
                      '"alt"', '".bp-alt"', '"aria-live"', "devicePixelRatio"):
        assert behaviour in _PAGE_HELPER_ESM.read_text(encoding="utf-8")


def test_heatmap_takes_a_new_colormap():
    view, heat = _heatmap_view(np.array([[0.0, 1.0]]))
    heat.set_cmap("viridis_r")
    view.refresh()
    np.testing.assert_array_equal(view.image_array()[50, 25], _viridis(1.0))
    assert heat.mappable.get_cmap().name == "viridis_r"
