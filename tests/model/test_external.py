"""External-data checks at load: labels are built only for the tensors a message is about, and the
messages stay what they were (exact text, for every place a tensor can live)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import onnx_inspect as oi
from fuzz import hostile as H
from onnx_inspect.model.external import iter_tensors

REFUSED = ": external data location '../secret.bin' leaves the model's folder ('..'); refused"
LABELS = {
    "initializer": "initializer 'w'",
    "constant": "attribute 'value' of node 'Constant'",
    "sparse_constant": "attribute 'sparse_value' of node 'Constant' (values)",
    "sparse_initializer": "sparse initializer 'w' (values)",
    "subgraph": "initializer 'w' in a subgraph of node 'If'",
    "function": "attribute 'value' of node 'Constant' in function 'F'",
}


@pytest.mark.parametrize("where", H.EXTERNAL_PLACES)
def test_a_location_escaping_the_folder_is_refused_with_the_same_message(tmp_path: Path, where: str) -> None:
    proto = H.external_location("../secret.bin", where)
    H.write_secret(tmp_path)
    folder = tmp_path / "model"
    folder.mkdir()
    path = folder / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    for src in (path, proto, proto.SerializeToString()):  # a file, a ModelProto, bytes
        with pytest.raises(oi.ExternalDataError) as info:
            oi.load(src)
        assert str(info.value) == LABELS[where] + REFUSED


def test_labels_name_every_tensor_once_asked(tmp_path: Path) -> None:
    proto = H.external_location("w.bin", "subgraph")
    labels = [label() for label, _ in iter_tensors(proto)]
    assert labels == ["initializer 'w' in a subgraph of node 'If'"] * 2  # then and else share the body
    # model text in a label is escaped: a line break in a name cannot forge a second line
    proto.graph.node[0].name = "If\nINJECTED"
    first = next(label() for label, _ in iter_tensors(proto))
    assert first == "initializer 'w' in a subgraph of node 'If\\nINJECTED'"


def test_symlinked_location_resolving_outside_is_refused(tmp_path: Path) -> None:
    H.write_secret(tmp_path)
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(tmp_path / "secret.bin", folder / "link.bin")
    path = folder / "m.onnx"
    path.write_bytes(H.external_location("link.bin", "function").SerializeToString())
    with pytest.raises(oi.ExternalDataError, match=r"^attribute 'value' of node 'Constant' in function 'F': "
                       r"external data location 'link.bin' resolves outside the model's folder"):  # fmt: skip
        oi.load(path)


def test_braces_in_a_node_name_are_text_not_a_format_field(tmp_path: Path) -> None:
    # Was a raw KeyError from oi.load(ModelProto): every attribute label went through str.format.
    proto = H.external_location("../secret.bin", "constant")
    proto.graph.node[0].name = "x{evil}"
    with pytest.raises(oi.ExternalDataError) as info:
        oi.load(proto)
    assert str(info.value) == "attribute 'value' of node 'x{evil}'" + REFUSED
    plain = H.external_location("w.bin", "constant")
    plain.graph.node[0].name = "x{evil}"
    del plain.graph.node[0].attribute[0].t.external_data[:]
    plain.graph.node[0].attribute[0].t.data_location = 0
    plain.graph.node[0].attribute[0].t.float_data.extend([1.0, 2.0])
    assert oi.load(plain).nodes.loc["x{evil}", "op_type"] == "Constant"
