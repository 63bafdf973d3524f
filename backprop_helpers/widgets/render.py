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
"""
from __future__ import annotations

import html
import io
import struct
import zlib
from typing import Any, Iterable, Sequence

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["ExplorerView", "FigureView", "Heatmap", "new_figure", "png_bytes", "text_block"]


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


def png_bytes(rgba: np.ndarray, *, compress_level: int = 1) -> bytes:
    """Encode an (H, W, 4) uint8 RGBA pixel array as PNG bytes (8-bit RGBA, no filtering).

    A PNG is a signature and three chunks: IHDR (size and pixel format), IDAT (the rows, each
    preceded by its filter byte, here 0 = none, compressed with zlib) and IEND. Written out here
    because Pillow's encoder chooses a filter per row by trying all five, which costs more than the
    compression itself: 7-8 ms against 2-3 ms for a 540x430 figure, for about 10 % fewer bytes.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"png_bytes: rgba must be a (H, W, 4) uint8 array, got {rgba.dtype} {rgba.shape}")
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 4 * width), np.uint8)          # column 0: filter type 0
    rows[:, 1:] = rgba.reshape(height, 4 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, colour type 6 = RGBA
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
        cmap: a colormap or its name. vmin, vmax: the values of the two end colours.
    Attributes:
        mappable: a ``ScalarMappable`` with the same colours and limits, for ``fig.colorbar``.
    """

    def __init__(self, ax: Axes, extent: tuple[float, float, float, float], *, cmap: Any = "viridis",
                 vmin: float = 0.0, vmax: float = 1.0, zorder: float = 0.5) -> None:
        super().__init__()
        self.set_zorder(zorder)
        self.extent = tuple(float(v) for v in extent)
        cmap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
        self.mappable = ScalarMappable(Normalize(vmin, vmax), cmap)
        self._lut = np.empty((256, 4), np.uint8)
        self._lut[:255] = np.round(cmap(np.linspace(0.0, 1.0, 255)) * 255)
        self._lut[255] = (160, 160, 160, 255)                      # not finite: grey
        self._lut32 = self._lut.view(np.uint32).ravel()            # one RGBA pixel as one number
        self._data: np.ndarray | None = None
        self._pixel_index: tuple | None = None
        ax.add_artist(self)
        self.set_clip_box(ax.bbox)

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

    Attributes:
        figure: the matplotlib ``Figure`` (Agg canvas).
        widget: the ``ipywidgets.Image`` to display; its ``value`` is the last PNG sent.
        render_count: how many images have been produced (tests and benchmarks read it).
    """

    def __init__(self, figure: Figure | None = None, *, compress_level: int = 1) -> None:
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
        self._animated: list[Artist] = []
        self._background = None
        self._background_size: tuple[int, int] | None = None
        self._png = b""
        self.widget = ipywidgets.Image(format="png")
        self._set_layout()

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
        # show the image at its own pixel size (ipywidgets would otherwise stretch it to the width)
        width, height = self.figure.canvas.get_width_height()
        self.widget.layout.width = f"{width}px"
        self.widget.layout.height = f"{height}px"

    # -- for tests -----------------------------------------------------------------------------
    def image_bytes(self) -> bytes:
        """The PNG bytes last sent to the browser (empty before the first draw)."""
        return self._png

    def image_array(self) -> np.ndarray:
        """The last image sent, decoded: a (H, W, 4) uint8 RGBA array."""
        if not self._png:
            raise ValueError("FigureView.image_array: nothing has been drawn yet; call redraw() first")
        from PIL import Image           # a dependency of matplotlib

        return np.asarray(Image.open(io.BytesIO(self._png)))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def text_block(markup: str) -> str:
    """``markup`` (HTML) in a block with normal line spacing: an ``ipywidgets.HTML`` otherwise gives
    every wrapped line the height of a control row (28 px)."""
    return f'<div style="line-height: 1.4; margin: 4px 0">{markup}</div>'


class ExplorerView:
    """What every explorer's view shares: a :class:`FigureView`, a message area, guarded updates.

    A subclass builds its controls, calls :meth:`_assemble` with them (which sets ``widget``),
    :meth:`_watch` on the controls whose changes redraw, and implements :meth:`update`, which
    recomputes the model from the controls and updates the figure's artists. Every change goes
    through :meth:`safe_update`: an exception becomes a sentence in ``message`` (an
    ``ipywidgets.HTML``) and the widget stays usable; nothing escapes into the front end.

    Attributes:
        view: the :class:`FigureView`.
        message: ``ipywidgets.HTML``; empty when all is well, otherwise says what went wrong.
        widget: the box to display (controls on the left, the figure on the right).
        update_count: number of completed updates.
    """

    def __init__(self, view: FigureView) -> None:
        import ipywidgets

        self.view = view
        self.message = ipywidgets.HTML("")
        self.widget: Any = None
        self.update_count = 0

    def update(self) -> None:  # pragma: no cover - every explorer implements it
        """Recompute the model from the controls and update the figure."""
        raise NotImplementedError

    def safe_update(self) -> bool:
        """Run :meth:`update`; on failure show the error in ``message``. True if it succeeded."""
        self.clear_message()
        try:
            self.update()
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            self.show_message(f"{type(exc).__name__}: {exc}")
            return False
        self.update_count += 1
        return True

    def show_message(self, text: str, *, level: str = "error") -> None:
        """Show ``text`` under the controls; ``level`` is "error" (red) or "info" (grey)."""
        colour = "#b00020" if level == "error" else "#555555"
        self.message.value = text_block(f'<span style="color: {colour}">{html.escape(str(text))}</span>')

    def clear_message(self) -> None:
        self.message.value = ""

    @property
    def message_text(self) -> str:
        """The message as plain text (what a learner reads), empty when there is none."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value))

    def _watch(self, *controls: Any) -> None:
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, change: Any = None) -> None:
        self.safe_update()

    def _assemble(self, controls: Sequence[Any], extras: Sequence[Any] = (), *,
                  controls_width: str = "340px") -> None:
        import ipywidgets

        left = ipywidgets.VBox([*controls, *extras, self.message],
                               layout=ipywidgets.Layout(width=controls_width))
        self.widget = ipywidgets.HBox([left, self.view.widget])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
