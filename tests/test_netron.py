"""oi.netron: a real Netron server on 127.0.0.1, IFrame URLs with and without a proxy base URL."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import onnx
import pytest

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.netron_view import netron, netron_url


def test_url_direct_and_behind_jupyter_server_proxy() -> None:
    assert netron_url(8123) == "http://127.0.0.1:8123/"
    assert netron_url(8123, "/user/abc/") == "/user/abc/proxy/8123/"
    assert netron_url(8123, "/user/abc") == "/user/abc/proxy/8123/"


def test_binder_environment_is_detected(monkeypatch: pytest.MonkeyPatch, squeezenet: Path) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/someone/binder-x")
    view = netron(squeezenet)
    try:
        assert view.url == f"/user/someone/binder-x/proxy/{view.port}/"
        assert 'src="/user/someone/binder-x/proxy/' in view._repr_html_()
    finally:
        view.stop()


def test_server_answers_on_loopback_only(monkeypatch: pytest.MonkeyPatch, squeezenet: Path) -> None:
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    view = netron(oi.load(squeezenet))
    try:
        assert view.address[0] == "127.0.0.1"
        assert view.url == f"http://127.0.0.1:{view.port}/"
        with urllib.request.urlopen(view.url, timeout=10) as r:
            assert r.status == 200
            assert "netron" in r.read().decode("utf-8", "replace").lower()
        # the page fetches the model relative to its own URL (so the proxy prefix is kept): data/<file>
        with urllib.request.urlopen(view.url + "data/" + squeezenet.name, timeout=10) as r:
            assert r.read() == squeezenet.read_bytes()
        # nothing listens on the machine's other addresses
        other = socket.gethostbyname(socket.gethostname())
        if not other.startswith("127."):
            with pytest.raises(OSError), socket.create_connection((other, view.port), timeout=2):
                pass
    finally:
        view.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", view.port), timeout=2):
        pass


@pytest.mark.parametrize("kind", ["model", "proto", "bytes"])
def test_in_memory_models_are_served_from_a_temporary_copy(kind: str) -> None:
    proto = testing.conv_model()
    given = {"model": oi.load(proto), "proto": proto, "bytes": proto.SerializeToString()}[kind]
    view = netron(given, base_url=False)
    tmp = view.path
    try:
        assert tmp.exists()
        assert onnx.load(str(tmp)).graph.node == proto.graph.node
        with urllib.request.urlopen(view.url, timeout=10) as r:
            assert r.status == 200
    finally:
        view.stop()
    assert not tmp.exists()


def test_missing_file_is_an_inspect_error(tmp_path: Path) -> None:
    with pytest.raises(oi.InspectError, match="does not exist"):
        netron(tmp_path / "none.onnx")
