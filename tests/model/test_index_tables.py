"""The index's tables are pinned: digests of the node, tensor and graph tables (and scope methods) of
synthetic models, recorded with the per-name index of main @ 7c6ca03, before the column-wise rewrite.

A deliberate change to the tables must update DIGESTS (print them with ``python -m
tests.model.test_index_tables``) and say why in its commit; the full check over the real-model corpus
and 50k-node models is ``tests/model/index_snapshot.py``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import onnx
import pytest

import onnx_inspect as oi
from onnx_inspect import testing

MODELS: dict[str, Callable[[], onnx.ModelProto]] = {
    "scoped": lambda: testing.transformer_like(layers=30),
    "unnamed": lambda: testing.transformer_like(layers=30, named=False),
    "flat": lambda: testing.residual_chain(blocks=400),
    "control_flow": testing.control_flow,
    "with_function": testing.with_function,
    "constant_weights": testing.constant_weights,
    "hostile_text": testing.hostile_text_model,
}

DIGESTS = {
    "scoped": "f7800b29b15318b9ea2678ebf121ca5c22ea068878fd3e981962c4d914c73905",
    "unnamed": "d27d787d31bc6d94945c2702d8032b0f5ed0cec84c659338acc2665bb4c2a147",
    "flat": "5afcc9c5d85ad6ef23b695aeff6376b113a337958f37113637317ef1d1aec7a5",
    "control_flow": "b68275e66fadd21b5fa479259975df922611a132c33c59d5f8428404e625f62c",
    "with_function": "daa09c997f00a6056d827891d8882f7f37166ce0f8c678c176f7add6f692d0b7",
    "constant_weights": "9ba8ac9f439db4607ac580776fc259d8c1713411e33b0fe82fce5232d1e7dfeb",
    "hostile_text": "c445ed94002eed05e3fbef8e6a1a410a9d18c9ffaa926009d37f9d3c1c7ab37b",
}


def table_digest(m: oi.Model) -> str:
    """sha256 over the reprs of every table's index and columns, in order (plain Python values)."""
    h = hashlib.sha256()
    for frame in (m.nodes, m.tensors, m.graphs):
        h.update(repr((list(frame.columns), frame.index.tolist())).encode())
        for col in frame.columns:
            h.update(repr([str(frame[col].dtype), frame[col].tolist()]).encode())
    h.update(repr(sorted(m.scope_methods.items())).encode())
    return h.hexdigest()


@pytest.mark.parametrize("name", list(MODELS))
def test_tables_match_the_reference_build(name: str) -> None:
    assert table_digest(oi.load(MODELS[name]())) == DIGESTS[name]


if __name__ == "__main__":
    for name, make in MODELS.items():
        print(f'    "{name}": "{table_digest(oi.load(make()))}",')
