"""The rendering path of every explorer: one persistent figure, drawn by Agg, sent as a PNG.

An explorer keeps a single matplotlib ``Figure`` for its whole life (made by :func:`new_figure`,
never through pyplot, so nothing is shown twice). A slider move changes the data of a few artists
(``set_data``, ``set_array``, ``set_offsets``, ``set_text``), then :meth:`FigureView.refresh`:

1. restores the saved background (everything that does not move: axes, ticks, labels, fixed data),
2. draws only the *animated* artists on top of it (blitting),
3. encodes the canvas as a PNG (:func:`png_bytes`: RGBA, no row filter, zlib level 1) and puts
   the bytes into an ``ipywidgets.Image``, which sends them to the browser.

When something static changes (axis limits, a title, a colour scale), :meth:`FigureView.redraw`
draws the whole figure again and saves the new background.

Why this path (measured on the course's 2-core machine, a 600x450 px figure with a 100x100 heatmap,
100 scattered points, a line and a text, per slider move: model + drawing + what goes to the
browser; median and p90 of 100 moves, all contenders interleaved in one process):

=========================================================  ===========  ========
path                                                        median       p90
=========================================================  ===========  ========
Agg + blitting + PNG into ``ipywidgets.Image`` (chosen)     15.5 ms      22.3 ms
Agg + full ``draw`` + PNG into ``ipywidgets.Image``         43.2 ms      61.2 ms
ipympl + blitting (draw + diff image + ``send_binary``)     19.2 ms      26.3 ms
ipympl + ``draw_idle`` (full draw on the browser's request) 46.5 ms      65.1 ms
naive: new figure per move, inline PNG into an ``Output``   122.5 ms     188.0 ms
=========================================================  ===========  ========

(The machine was shared with other work during that run; the benchmark ``bench/bench_widgets.py``
measures the explorers themselves, see ``bench/README.md``.)

Where the time of the chosen path went, and what was done about it: drawing a 100x100 heatmap
with ``imshow`` into a 350x350 px axes took 4-10 ms (it resamples and colour-maps at screen size),
so heatmaps use :class:`Heatmap` (a lookup table and one gather of 32-bit pixels: 0.5 ms). Pillow's
PNG encoder took 7-8 ms for a 540x430 figure even at ``compress_level=0``, because it tries every
row filter; :func:`png_bytes` writes filter 0 and lets zlib (level 1) do the work: 2-3 ms for about
10 % more bytes (higher levels cost 10-40 % more time for 5-15 % fewer bytes; JPEG would take
0.5 ms but blurs lines and text). A scatter of 60 points and an annotation cost about 1 ms each.
With both changes the explorers of lessons 01-03 answer a slider move in 3-8 ms (median, quiet
machine; see ``bench/README.md`` for the measured table).

What renders where (checked with headless Chromium driven by Playwright): both the
``ipywidgets.Image`` path and ipympl render and update in JupyterLab 4 and in Voila, and both run
under ``pytest --nbval-lax``. ipympl needs its own front-end extension, sends a "draw" request
through the browser before each full draw, and, while no front end is attached (nbval, the first
moments in Voila), re-encodes a whole PNG for its ``_data_url`` on every draw. The chosen path needs
nothing beyond ipywidgets (Pillow, a dependency of matplotlib, only decodes images for tests), works
wherever ipywidgets work, is the fastest measured, and lets tests read the exact image that was sent.

**Sharp at any pixel density.** A figure is drawn at the display's device pixel ratio (1, or 2 for
any denser display) and shown at its CSS size, never stretched or shrunk (:meth:`FigureView.
set_pixel_ratio`). The smallest text of every explorer is
8 pt, 11 CSS px. **Accessible.** Every control has a ``description`` (its label, read as text); the
figure has a text alternative that each explorer computes from its state (:meth:`ExplorerView.
describe`), kept in a visually hidden paragraph under the figure and in its ``alt``. ipywidgets
cannot name a slider's handle (its label is not tied to it) nor keep JupyterLab's command-mode
shortcuts (the arrow keys select cells) away from a dropdown, so each explorer holds a small
invisible :func:`page_helper` (an anywidget ES module, ``page_helper.js``) that does both, and
reports the display's pixel ratio. Without anywidget the explorers work as before, without those.

**Ahead of the kernel.** A key press's round trip to the kernel costs 17-24 ms in a lesson's page on
the course's 2-core machine before anything is drawn, and drawing while the browser draws its own
frame 15-25 ms more: 40-50 ms from the key to the picture. So after every slider move the kernel also
draws the pictures of the next two key presses (the slider one step either way) and sends them to the
page helper, which shows one the moment its move happens, before any message leaves the page; the
kernel's own picture follows and replaces it with the same pixels. That takes a key press to its
picture in 10-12 ms (``bench/README.md``). How, and why it never shows a picture for other settings
than its own: :mod:`.ahead`.
"""
from __future__ import annotations

import html
import io
import math
import struct
import zlib
from pathlib import Path
from typing import Any, Iterable, Sequence

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .ahead import Ahead, value_controls

__all__ = ["DEFAULT_PIXEL_RATIO", "ExplorerView", "FigureView", "Heatmap", "display_pixel_ratio", "new_figure",
           "page_helper", "png_bytes", "small_text", "text_block"]


def new_figure(figsize: tuple[float, float] = (6.0, 4.0), dpi: float = 100) -> Figure:
    """A matplotlib ``Figure`` with its own Agg canvas, unknown to pyplot.

    pyplot never sees it, so the inline backend does not display it a second time at the end of
    the cell, and it is freed like any object once the explorer is gone.
    """
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(pixels: np.ndarray, *, compress_level: int = 1) -> bytes:
    """Encode an (H, W, 4) RGBA or (H, W, 3) RGB uint8 pixel array as PNG bytes (8 bits, no filtering).

    A PNG is a signature and three chunks: IHDR (size and pixel format), IDAT (the rows, each
    preceded by its filter byte, here 0 = none, compressed with zlib) and IEND. Written out here
    because Pillow's encoder chooses a filter per row by trying all five, which costs more than the
    compression itself: 7-8 ms against 2-3 ms for a 540x430 figure, for about 10 % more bytes. (RGB
    without the alpha channel compresses to 10-15 % fewer bytes, but copying three bytes of every
    four out of the canvas costs more than zlib saves: 30-40 % more time, measured.)
    """
    if (pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8
            or 0 in pixels.shape[:2]):
        raise ValueError(f"png_bytes: pixels must be a (H, W, 4) or (H, W, 3) uint8 array, got "
                         f"{pixels.dtype} {pixels.shape}")
    height, width, channels = pixels.shape
    rows = np.zeros((height, 1 + channels * width), np.uint8)          # column 0: filter type 0
    rows[:, 1:].reshape(height, width, channels)[...] = pixels          # one strided copy
    colour_type = 6 if channels == 4 else 2                             # RGBA, RGB
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows, compress_level)) + _png_chunk(b"IEND", b""))


class Heatmap(Artist):
    """A colour-mapped grid of values drawn straight into the pixels of an axes region.

    ``imshow`` resamples and colour-maps at screen size on every draw (5-10 ms for a 350x350 px
    region); this artist maps the grid through a 255-colour lookup table and repeats each cell over
    its pixels (nearest neighbour), 2-3 ms for the same region, which is what makes a blitted heatmap
    fit in a slider move. Values outside ``[vmin, vmax]`` take the end colours; NaN and infinities
    are drawn grey.

    Args:
        ax: the axes to draw in (the artist adds itself to them).
        extent: ``(left, right, bottom, top)`` in data coordinates, like ``imshow``'s.
        cmap: a colormap or its name (None: the palette's ``sequential_colormap``). vmin, vmax: the
            values of the two end colours.
    Attributes:
        mappable: a ``ScalarMappable`` with the same colours and limits, for ``fig.colorbar``.
    """

    def __init__(self, ax: Axes, extent: tuple[float, float, float, float], *, cmap: Any = None,
                 vmin: float = 0.0, vmax: float = 1.0, zorder: float = 0.5) -> None:
        from ..plots.palette import sequential_colormap

        super().__init__()
        self.set_zorder(zorder)
        self.extent = tuple(float(v) for v in extent)
        cmap = sequential_colormap() if cmap is None else cmap
        self.mappable = ScalarMappable(Normalize(vmin, vmax), cmap)
        self.set_cmap(cmap)
        self._data: np.ndarray | None = None
        self._pixel_index: tuple | None = None
        ax.add_artist(self)
        self.set_clip_box(ax.bbox)

    def set_cmap(self, cmap: Any) -> None:
        """A new colormap (or its name); also used by a colour bar made from ``mappable``."""
        cmap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
        self.mappable.set_cmap(cmap)
        lut = np.empty((256, 4), np.uint8)
        lut[:255] = np.round(cmap(np.linspace(0.0, 1.0, 255)) * 255)
        lut[255] = (160, 160, 160, 255)                            # not finite: grey
        self._lut = lut
        self._lut32 = lut.view(np.uint32).ravel()                  # one RGBA pixel as one number
        self.stale = True

    def set_data(self, values: Any) -> None:
        """New values, shape (rows, columns): row 0 at the bottom (``origin="lower"``)."""
        values = np.asarray(values)
        if values.ndim != 2:
            raise ValueError(f"Heatmap.set_data: values must be 2-D (rows, columns), "
                             f"got shape {values.shape}")
        self._data = values
        self.stale = True

    def get_array(self) -> np.ndarray | None:
        return self._data

    def set_clim(self, vmin: float, vmax: float) -> None:
        """Values of the two end colours (also updates a colour bar made from ``mappable``)."""
        self.mappable.set_clim(vmin, vmax)
        self.stale = True

    def get_clim(self) -> tuple[float, float]:
        return self.mappable.get_clim()

    def colour_indices(self) -> np.ndarray:
        """Index into the lookup table of every cell: 0..254 along the colormap, 255 not finite."""
        vmin, vmax = self.get_clim()
        with np.errstate(invalid="ignore", over="ignore"):
            t = (self._data - vmin) * (254.0 / (vmax - vmin)) if vmax > vmin else self._data * 0.0
            idx = np.clip(np.nan_to_num(t, nan=-1.0, posinf=254.0, neginf=0.0), 0.0, 254.0)
        idx = np.rint(idx).astype(np.uint8)
        idx[~np.isfinite(self._data)] = 255
        return idx

    def draw(self, renderer: Any) -> None:
        if self._data is None or not self.get_visible():
            return
        left, right, bottom, top = self.extent
        (x0, y0), (x1, y1) = self.axes.transData.transform([(left, bottom), (right, top)])
        x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
        width, height = x1 - x0, y1 - y0
        if width <= 0 or height <= 0:
            return
        rows_n, cols_n = self._data.shape
        key = (width, height, rows_n, cols_n)
        if self._pixel_index is None or self._pixel_index[0] != key:
            # for every pixel, the flat index of the grid cell it shows (nearest neighbour)
            cols = np.minimum((np.arange(width) + 0.5) * cols_n / width, cols_n - 1).astype(np.intp)
            rows = np.minimum((np.arange(height) + 0.5) * rows_n / height, rows_n - 1).astype(np.intp)
            self._pixel_index = (key, rows[:, None] * cols_n + cols[None, :])
        cell_colours = self._lut32[self.colour_indices()].ravel()       # one uint32 RGBA per cell
        rgba = cell_colours.take(self._pixel_index[1]).view(np.uint8).reshape(height, width, 4)
        # Agg puts row 0 of the array at the bottom of the region, like origin="lower"
        gc = renderer.new_gc()
        gc.set_clip_rectangle(self.axes.bbox)
        renderer.draw_image(gc, x0, y0, rgba)
        gc.restore()
        self.stale = False


#: the pixel ratio a figure is drawn at until the page says what its display has (see PageHelper)
DEFAULT_PIXEL_RATIO = 2.0


def display_pixel_ratio(device_pixel_ratio: float) -> float:
    """The ratio to draw at for a display's ``window.devicePixelRatio``: 1 on a display of ratio 1
    (or less, e.g. zoomed out), else 2. Drawing at 3 for the rare 3x display would cost half as
    much again for a difference hard to see; a zoomed-in page (ratio 1.25, 1.5) gets the 2x image,
    which the browser scales down cleanly."""
    if not isinstance(device_pixel_ratio, (int, float)) or not math.isfinite(device_pixel_ratio):
        raise TypeError(f"display_pixel_ratio: device_pixel_ratio must be a finite number, got "
                        f"{device_pixel_ratio!r}")
    return 1.0 if device_pixel_ratio <= 1.0 else 2.0


class FigureView:
    """A persistent figure shown in the browser as an ``ipywidgets.Image``.

    Usage::

        view = FigureView(new_figure((6, 4)))
        ax = view.figure.add_subplot()
        line, = ax.plot(x, y)
        view.animate(line)        # redrawn on every refresh, over a saved background
        view.redraw()             # first full draw
        ...
        line.set_ydata(new_y)
        view.refresh()            # about 1-10 ms instead of 40-60 ms for a full draw

    Animated artists are drawn over everything static (spines, ticks, a legend), in zorder among
    themselves: that is the price of blitting. Keep them away from the axes' edges or accept it.

    **Sharp on every display.** The figure's size in CSS pixels is its size in inches times the dpi
    it was made with (a 5.4 x 4.3 inch figure at 100 dpi is 540 x 430 CSS px). It is drawn at
    ``pixel_ratio`` device pixels per CSS pixel (the figure's dpi is multiplied by it) and the image
    is shown at its CSS size, so on a display of ratio 2 every device pixel is drawn, not stretched.
    :meth:`set_pixel_ratio` changes the ratio (the explorers follow the display's, which the page
    reports; see :class:`PageHelper`).

    Attributes:
        figure: the matplotlib ``Figure`` (Agg canvas).
        widget: the ``ipywidgets.Image`` to display; its ``value`` is the last PNG sent.
        pixel_ratio: device pixels per CSS pixel of the images sent.
        css_size: ``(width, height)`` of the image on the page, in CSS pixels.
        render_count: how many images have been produced (tests and benchmarks read it).
    """

    def __init__(self, figure: Figure | None = None, *, compress_level: int = 1,
                 pixel_ratio: float = DEFAULT_PIXEL_RATIO) -> None:
        import ipywidgets

        if figure is None:
            figure = new_figure()
        if not isinstance(figure, Figure):
            raise TypeError(f"FigureView: figure must be a matplotlib Figure, got {type(figure).__name__}")
        if not isinstance(compress_level, int) or not 0 <= compress_level <= 9:
            raise ValueError(f"FigureView: compress_level must be an int in 0..9, got {compress_level!r}")
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)
        self.figure = figure
        self.compress_level = compress_level
        self.render_count = 0
        self._css_dpi = float(figure.dpi)
        self.pixel_ratio = 1.0
        self._animated: list[Artist] = []
        self._background = None
        self._background_size: tuple[int, int] | None = None
        self._png = b""
        self.widget = ipywidgets.Image(format="png")
        self.set_pixel_ratio(pixel_ratio)

    @property
    def css_size(self) -> tuple[int, int]:
        width, height = self.figure.get_size_inches() * self._css_dpi
        return int(round(width)), int(round(height))

    def set_pixel_ratio(self, ratio: float) -> None:
        """Draw at ``ratio`` device pixels per CSS pixel (1 to 4) from now on; draws the figure again
        (and sends it) if something has been drawn already."""
        if (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not math.isfinite(ratio)
                or not 1.0 <= ratio <= 4.0):
            raise ValueError(f"FigureView.set_pixel_ratio: ratio must be a number in [1, 4], got {ratio!r}")
        if float(ratio) == self.pixel_ratio and self.figure.dpi == self._css_dpi * ratio:
            return
        self.pixel_ratio = float(ratio)
        self.figure.set_dpi(self._css_dpi * self.pixel_ratio)
        self._background = None
        self._set_layout()
        if self._png:
            self.redraw()

    # -- what moves ----------------------------------------------------------------------------
    def animate(self, *artists: Artist | Iterable[Artist]) -> None:
        """Mark artists as animated: left out of the background, drawn anew on every refresh.

        Accepts artists or iterables of artists. Takes effect at the next :meth:`redraw` (the
        background must be drawn without them), which this method schedules.
        """
        for a in artists:
            group = [a] if isinstance(a, Artist) else list(a)
            for artist in group:
                if not isinstance(artist, Artist):
                    raise TypeError(f"FigureView.animate: expected matplotlib artists, got "
                                    f"{type(artist).__name__}")
                if artist not in self._animated:
                    artist.set_animated(True)
                    self._animated.append(artist)
        self._animated.sort(key=lambda art: art.get_zorder())
        self._background = None

    @property
    def animated(self) -> tuple[Artist, ...]:
        """The animated artists, in drawing order (by zorder)."""
        return tuple(self._animated)

    # -- drawing -------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw the whole figure, save the new background, then draw the animated artists and send.

        Call it after anything that is not animated changed (limits, labels, titles, colours).
        """
        canvas = self.figure.canvas
        canvas.draw()                      # animated artists are skipped by a full draw
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._background_size = canvas.get_width_height()
        self._set_layout()
        self._draw_animated_and_send()

    def refresh(self) -> None:
        """Animated artists changed: restore the background, draw them over it, send the image.

        Falls back to :meth:`redraw` when there is no valid background yet (first call, new
        animated artists, or the figure changed size).
        """
        canvas = self.figure.canvas
        if self._background is None or canvas.get_width_height() != self._background_size:
            self.redraw()
            return
        canvas.restore_region(self._background)
        self._draw_animated_and_send()

    def _draw_animated_and_send(self) -> None:
        for artist in self._animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        rgba = np.asarray(self.figure.canvas.buffer_rgba())
        self._png = png_bytes(rgba, compress_level=self.compress_level)
        self.widget.value = self._png
        self.render_count += 1

    def _set_layout(self) -> None:
        # show the image at its CSS size, never stretched or shrunk (ipywidgets' images get
        # max-width: 100%, and a flex box shrinks its items): one image pixel per device pixel at the
        # display's ratio, so that lines and text stay sharp
        width, height = (f"{v}px" for v in self.css_size)
        layout = self.widget.layout
        for name, value in (("width", width), ("min_width", width), ("max_width", width),
                            ("height", height), ("min_height", height), ("flex", "0 0 auto")):
            if getattr(layout, name) != value:
                setattr(layout, name, value)

    # -- for tests -----------------------------------------------------------------------------
    def image_bytes(self) -> bytes:
        """The PNG bytes last sent to the browser (empty before the first draw)."""
        return self._png

    def image_array(self) -> np.ndarray:
        """The last image sent, decoded: a (H, W, 4) uint8 RGBA array (in device pixels)."""
        if not self._png:
            raise ValueError("FigureView.image_array: nothing has been drawn yet; call redraw() first")
        from PIL import Image           # a dependency of matplotlib

        return np.asarray(Image.open(io.BytesIO(self._png)).convert("RGBA"))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def text_block(markup: str) -> str:
    """``markup`` (HTML) in a block with normal line spacing: an ``ipywidgets.HTML`` otherwise gives
    every wrapped line the height of a control row (28 px)."""
    return f'<div style="line-height: 1.4; margin: 4px 0">{markup}</div>'


def small_text(markup: str) -> str:
    """``markup`` in the explorers' secondary text size: 12 px (``<small>`` would give 10.8 px of
    JupyterLab's 13 px, below the 11 px the explorers keep as their smallest text)."""
    return f'<span style="font-size: 12px">{markup}</span>'


#: text for screen readers only: out of sight, still read (the usual "visually hidden" rules)
_VISUALLY_HIDDEN = ("position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; "
                    "clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0")

# The page helper's front end (page_helper.js, an ES module for anywidget). It finds the explorer it
# sits in (the element with the class bp-explorer) and, whenever the explorer's DOM changes:
# - names each slider's handle after the slider's label (aria-label) and gives it the slider's
#   readout as its value text (aria-valuetext: "1.0e-05", not the exponent a log slider moves);
# - names each group of toggle buttons after its label and says which button is pressed;
# - keeps JupyterLab's keyboard shortcuts away from the controls (data-lm-suppress-shortcuts): in
#   command mode the arrow keys would otherwise select another cell instead of moving a dropdown's
#   choice or a slider;
# - gives the figure's <img> the text alternative (alt) that the kernel wrote into the visually
#   hidden paragraph under it (one message per move carries it), and hides that paragraph from
#   screen readers (it would be read twice);
# - marks the message area as a polite live region.
# It also reports the display's device pixel ratio, and again when it changes (a window moved to
# another screen, a zoom), and shows the pictures the kernel drew ahead of the next key presses
# (ahead.py) when their move happens.
_PAGE_HELPER_ESM = Path(__file__).resolve().with_name("page_helper.js")

_PAGE_HELPER: Any = None


def page_helper() -> Any:
    """A new :class:`PageHelper` widget, or None when anywidget is not installed.

    ``PageHelper`` (an ``anywidget.AnyWidget``) is placed, invisible, inside an explorer's box. In
    the browser it names every slider handle after its label and gives it its readout as value
    text, gives the figure its text alternative (the ``alt`` of its ``<img>``, copied from the
    visually hidden paragraph the kernel writes under the figure), keeps JupyterLab's shortcuts away
    from the controls, and reports the display's device pixel ratio (``device_pixel_ratio``, set by
    the browser; 0 until then).
    Without anywidget the explorers work the same, with neither (ipywidgets gives slider handles no
    name: its label is not tied to the handle).
    """
    global _PAGE_HELPER
    if _PAGE_HELPER is None:
        try:
            import anywidget
            import traitlets
        except ImportError:
            return None

        class PageHelper(anywidget.AnyWidget):
            _esm = _PAGE_HELPER_ESM
            device_pixel_ratio = traitlets.Float(0.0).tag(sync=True)
            controls = traitlets.List(traitlets.Unicode()).tag(sync=True)   # the explorer's controls
            predictions = traitlets.Dict().tag(sync=True)                     # pictures ahead (ahead.py)

        _PAGE_HELPER = PageHelper
    return _PAGE_HELPER()


class ExplorerView:
    """What every explorer's view shares: a :class:`FigureView`, a message area, guarded updates,
    a text alternative of the figure, and the page helper.

    A subclass builds its controls (each with a ``description``, the name a screen reader reads),
    calls :meth:`_assemble` with them (or builds its own box and calls :meth:`_finish`), which sets
    ``widget``; :meth:`_watch` on the controls whose changes redraw; and implements :meth:`update`,
    which recomputes the model from the controls and updates the figure's artists,
    :meth:`describe`, which says in one sentence what the figure shows now, and :meth:`settings`,
    the arguments of its factory that rebuild it as it is. Every change goes through
    :meth:`safe_update`: an exception becomes a sentence in ``message`` (an ``ipywidgets.HTML``) and
    the widget stays usable; nothing escapes into the front end.

    Attributes:
        view: the :class:`FigureView`.
        message: ``ipywidgets.HTML``; empty when all is well, otherwise says what went wrong.
        alt: ``ipywidgets.HTML`` under the figure: its text alternative, visually hidden.
        alt_text: that text, plain.
        helper: the :func:`page_helper` (None without anywidget).
        widget: the box to display (controls on the left, the figure on the right).
        update_count: number of completed updates.
    """

    #: the factory that built the explorer; ``factory(**settings())`` builds it again
    factory: Any = None

    def __init__(self, view: FigureView) -> None:
        import ipywidgets

        self.view = view
        self.view.widget.add_class("bp-figure")
        self.message = ipywidgets.HTML("")
        self.message.add_class("bp-live")
        self.alt = ipywidgets.HTML("")
        self.alt_text = ""
        self.helper = page_helper()
        self.ahead = None if self.helper is None else Ahead(self)
        self._replaced: Any = None
        self.widget: Any = None
        self.update_count = 0

    def update(self) -> None:  # pragma: no cover - every explorer implements it
        """Recompute the model from the controls and update the figure."""
        raise NotImplementedError

    def describe(self) -> str:
        """One or two sentences: what the figure shows now (its text alternative)."""
        return ""

    def settings(self) -> dict[str, Any]:  # pragma: no cover - every explorer implements it
        """The factory's arguments that build this explorer as it is now."""
        raise NotImplementedError

    def safe_update(self) -> bool:
        """Run :meth:`update`; on failure show the error in ``message``. True if it succeeded."""
        self.clear_message()
        try:
            self.update()
            self.set_alt(self.describe())
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            self.show_message(f"{type(exc).__name__}: {exc}")
            return False
        self.update_count += 1
        return True

    def set_alt(self, text: str) -> None:
        """The figure's text alternative: a visually hidden paragraph after it, and its ``alt``."""
        text = " ".join(str(text).split())
        if text == self.alt_text:
            return
        self.alt_text = text
        self.alt.value = (f'<p class="bp-alt" style="{_VISUALLY_HIDDEN}">Figure: {html.escape(text)}</p>'
                          if text else "")

    def show_message(self, text: str, *, level: str = "error") -> None:
        """Show ``text`` under the controls; ``level`` is "error" (red) or "info" (grey)."""
        from ..plots.palette import ERROR, MUTED

        colour = ERROR if level == "error" else MUTED
        self.message.value = text_block(f'<span style="color: {colour}">{html.escape(str(text))}</span>')

    def clear_message(self) -> None:
        self.message.value = ""

    @property
    def message_text(self) -> str:
        """The message as plain text (what a learner reads), empty when there is none."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value))

    def _watch(self, *controls: Any) -> None:
        import ipywidgets

        sliders = (ipywidgets.FloatSlider, ipywidgets.IntSlider, ipywidgets.FloatLogSlider)
        for control in controls:
            if isinstance(control, sliders):
                control.observe(self._take_drawn_value, names="value")
            control.observe(self._changed, names="value")
            if isinstance(control, sliders):
                control.observe(self._draw_ahead, names="value")

    def _changed(self, change: Any) -> None:
        if change is not self._replaced:
            self._on_change(change)

    def _on_change(self, change: Any = None) -> None:
        self.safe_update()

    def _take_drawn_value(self, change: Any) -> None:
        """A slider's new value a hair (far below a step) from the value of a picture drawn ahead: the
        page's arithmetic missed the picture's value; the slider takes it, so the explorer's picture
        is the one the page has shown already (see :mod:`.ahead`)."""
        value = None if self.ahead is None else self.ahead.drawn_value(change.owner, change.new)
        if value is not None and value != change.new:
            self._replaced = change                    # the rest of this change's observers stand down
            change.owner.value = value

    def _draw_ahead(self, change: Any) -> None:
        """After a slider move, the pictures of its next moves, drawn ahead (see :mod:`.ahead`)."""
        if self.ahead is not None and change is not self._replaced:
            self.ahead.schedule(change.owner)

    def _assemble(self, controls: Sequence[Any], extras: Sequence[Any] = (), *,
                  controls_width: str = "300px") -> None:
        import ipywidgets

        left = ipywidgets.VBox([*controls, *extras, self.message],
                               layout=ipywidgets.Layout(width=controls_width, flex="0 0 auto"))
        # side by side where the output is wide enough (840 px with a 540 px figure), the figure
        # under the controls where it is not: never a shrunk, blurred figure
        self._finish(ipywidgets.HBox([left, self.figure_box()],
                                     layout=ipywidgets.Layout(flex_flow="row wrap", align_items="flex-start")))

    def figure_box(self) -> Any:
        """The figure with its text alternative under it."""
        import ipywidgets

        return ipywidgets.VBox([self.view.widget, self.alt], layout=ipywidgets.Layout(flex="0 0 auto"))

    def _finish(self, box: Any) -> None:
        """``box`` becomes ``widget``: marked as an explorer, with the page helper inside it."""
        box.add_class("bp-explorer")
        if self.helper is not None:
            box.children = (*box.children, self.helper)
            self.helper.controls = [control.model_id for control in value_controls(box)]
            self.helper.observe(self._on_device_pixel_ratio, names="device_pixel_ratio")
        self.widget = box

    def _on_device_pixel_ratio(self, change: Any) -> None:
        if not change.new:
            return
        try:
            self.view.set_pixel_ratio(display_pixel_ratio(change.new))
        except Exception as exc:  # noqa: BLE001 - never raise into the front end
            self.show_message(f"{type(exc).__name__}: {exc}")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
