"""External-data checks at load: labels are built only for the tensors a message is about, and the
messages stay what they were (exact text, for every place a tensor can live)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import onnx
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


# -- which serialized models need the check at all (read_model skips it for bytes without a location key)


def _ld(field: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (tag, length, payload)."""

    def varint(v: int) -> bytes:
        out = b""
        while v > 127:
            out += bytes([v & 127 | 128])
            v >>= 7
        return out + bytes([v])

    return varint(field << 3 | 2) + varint(len(payload)) + payload


def test_the_bytes_filter_on_real_and_named_models() -> None:
    from onnx_inspect.model.external import may_hold_external
    from tests.corpus import corpus_model

    assert may_hold_external(corpus_model("small_cnn_external_data").path.read_bytes())
    assert not may_hold_external(corpus_model("light_resnet50").path.read_bytes())
    # a name that contains "location" is not the key; a name that is exactly "location" looks like it
    proto = H.external_location("w.bin", "initializer")
    del proto.graph.initializer[0].external_data[:]
    proto.graph.initializer[0].data_location = 0
    proto.graph.node[0].name = "relocation/location_embed"
    assert not may_hold_external(proto.SerializeToString())
    proto.graph.node[0].name = "location"
    assert may_hold_external(proto.SerializeToString())


def test_a_location_key_written_with_an_overlong_length_is_still_checked(tmp_path: Path) -> None:
    # protobuf reads a length varint written in more bytes than needed (8 as 0x88 0x00): a file that
    # spells the key "location" so must not slip past the bytes filter
    proto = H.external_location("../secret.bin", "initializer")
    t = onnx.TensorProto()
    t.CopyFrom(proto.graph.initializer[0])
    del proto.graph.initializer[:]
    del t.external_data[:]
    entry = b"\x0a\x88\x00location" + _ld(2, b"../secret.bin")
    data = proto.SerializeToString() + _ld(7, _ld(5, t.SerializeToString() + _ld(13, entry)))
    assert b"\x08location" not in data and b"\x00location" in data
    parsed = onnx.ModelProto.FromString(data).graph.initializer[0]
    assert [(e.key, e.value) for e in parsed.external_data] == [("location", "../secret.bin")]
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "m.onnx").write_bytes(data)
    for src in (data, folder / "m.onnx"):
        with pytest.raises(oi.ExternalDataError) as info:
            oi.load(src)
        assert str(info.value) == LABELS["initializer"] + REFUSED


def test_a_real_external_data_model_loads_and_reads(tmp_path: Path) -> None:
    import shutil

    from tests.corpus import corpus_model

    src = corpus_model("small_cnn_external_data").path
    m = oi.load(src)
    ext = [tid for tid in m.tensors.index if m.is_external(tid)]
    assert ext and all(m.weight(m.tensors.loc[tid, "name"]).size for tid in ext)
    # the same files beside a symlink that leaves the folder: refused at load, naming the tensor
    folder = tmp_path / "model"
    shutil.copytree(src.parent, folder)
    proto = onnx.load(folder / src.name, load_external_data=False)
    first = next(t for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL)
    H.write_secret(tmp_path)
    os.symlink(tmp_path / "secret.bin", folder / "link.bin")
    for e in first.external_data:
        if e.key == "location":
            e.value = "link.bin"
    onnx.save(proto, folder / "bad.onnx")
    with pytest.raises(
        oi.ExternalDataError,
        match=rf"^initializer '{re.escape(first.name)}': external data location 'link.bin' resolves outside",
    ):
        oi.load(folder / "bad.onnx")
