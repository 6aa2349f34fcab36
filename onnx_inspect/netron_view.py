"""Open a model in Netron, served by the ``netron`` package on 127.0.0.1 and shown in an IFrame.

Netron's own page contacts outside hosts (analytics, consent); onnx-inspect's views do not. Under
JupyterHub/Binder the browser cannot reach the server's 127.0.0.1, so the IFrame goes through
jupyter-server-proxy at ``<base_url>proxy/<port>/`` (the trailing slash is required).
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InspectError, printable
from .model import Model, ModelLike, load
from .model.external import check_external
from .model.read import read_model

HOST = "127.0.0.1"


def proxy_base_url() -> str | None:
    """The notebook server's base URL when running behind JupyterHub/Binder, else None."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return prefix if prefix.endswith("/") else prefix + "/"
    return None


def netron_url(port: int, base_url: str | None = None) -> str:
    """URL the browser should load: direct on 127.0.0.1, or through jupyter-server-proxy under ``base_url``."""
    if base_url is None:
        return f"http://{HOST}:{port}/"
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}proxy/{port}/"


@contextlib.contextmanager
def _quiet_netron() -> Iterator[None]:
    """Keep Netron's log out of the notebook: ``netron.serve`` configures the root logger (INFO, to
    stderr) when it has no handler, which puts its request log and every library's INFO lines into cells
    as red stderr boxes. Its own messages drop to WARNING; the root logger is left as it was."""
    logging.getLogger("netron").setLevel(logging.WARNING)
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)  # basicConfig does nothing while the root logger has a handler
    try:
        yield
    finally:
        root.removeHandler(guard)


@dataclass
class NetronView:
    """A running Netron server for one model; displays as an IFrame in a notebook."""

    path: Path
    port: int
    url: str
    height: int = 700
    _tmpdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port)

    def stop(self) -> None:
        """Stop the server (and remove the temporary copy of an in-memory model)."""
        import netron as _netron

        _netron.stop(self.address)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # return once the port is really closed
            try:
                socket.create_connection(self.address, timeout=0.2).close()
            except OSError:
                break
            time.sleep(0.05)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def _repr_html_(self) -> str:
        src = html.escape(self.url, quote=True)
        return (
            f'<iframe src="{src}" width="100%" height="{int(self.height)}" '
            'style="border:1px solid var(--jp-border-color2, #ccc)" title="Netron"></iframe>'
        )


def netron(
    model: ModelLike,
    *,
    port: int = 0,
    height: int = 700,
    base_url: str | bool | None = None,
) -> NetronView:
    """Serve ``model`` with Netron on 127.0.0.1 and return a view that shows it in an IFrame.

    A path is served as is; a Model, bytes or a ModelProto from a temporary copy when it has no file.

    ``base_url``: None detects JupyterHub/Binder (then the jupyter-server-proxy URL is used), False forces
    the direct URL, a string forces that proxy base URL.
    """
    try:
        import netron as _netron
    except ImportError:
        raise InspectError("Netron is not installed: pip install 'onnx-inspect[netron]'") from None
    tmpdir = None
    if not isinstance(model, (Model, str, os.PathLike)):
        model = load(model)  # bytes or a ModelProto: checked like any model, then served from a copy
    if isinstance(model, Model):
        # Netron reads external data itself: the same check as at load, against the same folder.
        check_external(model.proto, model.base_dir)
        if model.path is not None:
            path = model.path
        else:
            tmpdir = tempfile.TemporaryDirectory(prefix="oi-netron-")
            path = Path(tmpdir.name) / "model.onnx"
            path.write_bytes(model.proto.SerializeToString())
    else:
        path = Path(model)
    if not path.is_file():
        raise InspectError(f"Netron needs a model file; '{printable(str(path))}' does not exist")
    if not isinstance(model, Model):
        read_model(path)  # parses and checks every external-data location before Netron opens anything
    with _quiet_netron():
        host, bound = _netron.serve(str(path), None, address=(HOST, port), browse=False)
    if host != HOST:  # never listen anywhere but loopback
        _netron.stop((host, bound))
        raise InspectError(f"Netron bound to {host}, not {HOST}; refusing to serve")
    if base_url is None:
        proxy = proxy_base_url()
    elif base_url is False:
        proxy = None
    else:
        proxy = str(base_url)
    return NetronView(path, bound, netron_url(bound, proxy), height, tmpdir)
