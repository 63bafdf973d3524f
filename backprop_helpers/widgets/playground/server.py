"""Training playground (lesson 08): the standalone page, served by Voila (``make playground``).

``python -m backprop_helpers.widgets.playground.server --port 8866 --config-dir DIR`` runs Voila on
``page.ipynb`` (a title, one paragraph, the playground at full width), on 127.0.0.1 with a token
taken from ``JUPYTER_TOKEN`` (never on the command line), reading no ``voila.py``/``voila.json``
but those in ``DIR``. :func:`voila_command` is the one place the command is written; the Makefile
and the browser tests both use it. What the options are for:

- ``--template=playground`` (found through ``JUPYTER_PATH``, which gets the folder ``share/`` beside
  this module): Voila's lab template less the icon-font stylesheets it links from a CDN, so the page
  asks nothing of any machine but the one that serves it, and lets Voila shut a closed page's
  kernel down (see the template);
- culling: a kernel idle for 30 s without any connection (its page closed, whatever way) is shut
  down, checked every 10 s: a closed page's kernel is gone within a minute;
- :class:`NoDelayWebsocketConnection`: Jupyter's server (JupyterLab's and Voila's) relays a kernel's
  messages to the browser over one websocket per page, and leaves Nagle's algorithm on for it: a
  write waits while an earlier one is not yet acknowledged. A kernel answers each message with three
  ("busy", the answer, "idle"), so the answer waits for the browser to acknowledge "busy", which
  Linux delays by up to 40 ms: about 55 ms per round trip on this machine, against 11 ms with
  ``TCP_NODELAY``. JupyterLab takes the same class with
  ``--ServerApp.kernel_websocket_connection_class=`` :data:`CONNECTION_CLASS`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["NoDelayWebsocketConnection", "CONNECTION_CLASS", "PAGE", "TEMPLATES", "voila_command", "main"]

HERE = Path(__file__).resolve().parent
#: the notebook Voila shows
PAGE = HERE / "page.ipynb"
#: the folder to put on JUPYTER_PATH: it holds voila/templates/playground
TEMPLATES = HERE / "share"
#: the dotted name to give a server's kernel_websocket_connection_class option
CONNECTION_CLASS = "backprop_helpers.widgets.playground.server.NoDelayWebsocketConnection"
CULL_IDLE_S, CULL_INTERVAL_S = 30, 10


class NoDelayWebsocketConnection(ZMQChannelsWebsocketConnection):
    """The server's kernel websocket connection, with Nagle's algorithm off."""

    def connect(self):  # noqa: ANN201 - the base class's Future, or None
        """Set ``TCP_NODELAY`` on the websocket (open by now), then connect as the base class does."""
        self.websocket_handler.set_nodelay(True)
        return super().connect()


def voila_command(port: int, config_dir: str | Path, *, notebook: str | Path = PAGE,
                  voila: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command that serves ``notebook`` (default: the playground's page) on 127.0.0.1:``port``,
    and what to add to the environment (``JUPYTER_PATH``). The token is read from ``JUPYTER_TOKEN``."""
    if voila is None:
        voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"
    command = [
        voila, str(notebook), "--template=playground", "--no-browser", f"--port={port}",
        "--Voila.port_retries=0", "--Voila.ip=127.0.0.1", "--token",
        f"--Voila.config_file_paths={config_dir}",
        f"--Voila.kernel_websocket_connection_class={CONNECTION_CLASS}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
    ]
    paths = [str(TEMPLATES), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    return command, {"JUPYTER_PATH": os.pathsep.join(paths)}


def main(argv: list[str] | None = None) -> None:
    """Replace this process with Voila serving the playground's page (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m backprop_helpers.widgets.playground.server",
                                     description="Serve the playground's page with Voila on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--config-dir", required=True,
                        help="the only folder Voila reads voila.py/voila.json from (make it one without)")
    args = parser.parse_args(argv)
    if not os.environ.get("JUPYTER_TOKEN"):
        parser.error("JUPYTER_TOKEN is empty: the page is never served without a token")
    command, env = voila_command(args.port, args.config_dir)
    os.execve(command[0], command, {**os.environ, **env})


if __name__ == "__main__":
    main()
