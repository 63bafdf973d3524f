"""The rendering path of every explorer: one persistent figure, drawn by Agg, sent as a PNG.

An explorer keeps a single matplotlib ``Figure`` for its whole life (made by :func:`new_figure`,
never through pyplot, so nothing is shown twice). A slider move changes the data of a few artists
(``set_data``, ``set_array``, ``set_offsets``, ``set_text``), then :meth:`FigureView.refresh`:

1. restores the saved background (everything that does not move: axes, ticks, labels, fixed data),
2. draws only the *animated* artists on top of it (blitting),
3. encodes the canvas as a PNG (Pillow, RGB, ``compress_level=1``) and puts the bytes into an
   ``ipywidgets.Image``, which sends them to the browser.

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

Where the time of the chosen path goes: drawing a 100x100 heatmap into a 350x350 px axes about
4-5 ms (resampling and colour mapping at screen size), a scatter and a text about 1 ms each, PNG
encoding of 600x450 RGB pixels about 5 ms at ``compress_level=1`` (levels 3 and 6 are 10-40 %
slower for 5-15 % fewer bytes; RGBA costs about twice RGB; JPEG would take 0.5 ms but blurs lines
and text). Our own PNG writer with numpy filters was no faster than Pillow, since zlib dominates.

What renders where (checked with headless Chromium driven by Playwright): both the
``ipywidgets.Image`` path and ipympl render and update in JupyterLab 4 and in Voila, and both run
under ``pytest --nbval-lax``. ipympl needs its own front-end extension, sends a "draw" request
through the browser before each full draw, and, while no front end is attached (nbval, the first
moments in Voila), re-encodes a whole PNG for its ``_data_url`` on every draw. The chosen path needs
nothing beyond ipywidgets and Pillow (already a dependency of matplotlib), works wherever
ipywidgets work, is the fastest measured, and lets tests read the exact image that was sent.
"""
from __future__ import annotations

import html
import io
from typing import Any, Iterable, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["ExplorerView", "FigureView", "new_figure", "png_bytes"]


def new_figure(figsize: tuple[float, float] = (6.0, 4.0), dpi: float = 100) -> Figure:
    """A matplotlib ``Figure`` with its own Agg canvas, unknown to pyplot.

    pyplot never sees it, so the inline backend does not display it a second time at the end of
    the cell, and it is freed like any object once the explorer is gone.
    """
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(rgba: np.ndarray, *, compress_level: int = 1, keep_alpha: bool = False) -> bytes:
    """Encode an (H, W, 4) uint8 RGBA pixel array as PNG bytes.

    The alpha channel is dropped unless ``keep_alpha`` (an opaque figure loses nothing, and RGB
    encodes about twice as fast as RGBA).
    """
    height, width = rgba.shape[:2]
    img = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
    if not keep_alpha:
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=compress_level)
    return out.getvalue()


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
        opaque = self.figure.patch.get_alpha() in (None, 1) and self.figure.patch.get_facecolor()[3] == 1
        self._png = png_bytes(rgba, compress_level=self.compress_level, keep_alpha=not opaque)
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
        """The last image sent, decoded: a (H, W, 3) uint8 array (or (H, W, 4) if transparent)."""
        if not self._png:
            raise ValueError("FigureView.image_array: nothing has been drawn yet; call redraw() first")
        return np.asarray(Image.open(io.BytesIO(self._png)))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


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
        self.message.value = f'<span style="color: {colour}">{html.escape(str(text))}</span>'

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
