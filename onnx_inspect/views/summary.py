"""Plain-text model summaries and shape lists: the one formatter behind the CLI and widgets' text/plain.

``summary_lines`` turns ``Model.summary()`` into ``key  value`` lines (``brief`` for a widget output's
fallback text, full for the command line); ``dims_text`` / ``shapes_text`` write shapes the same way
everywhere text (not a table cell, see ``views.details.shape_text``) shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Model

#: Width of the key column (``producer   pytorch 2.3.1``).
KEY_WIDTH = 10


def dims_text(shape: Sequence[Any] | None) -> str:
    """``[1, 3, 224, 224]``, ``[batch, 128]``, ``[?, 8]`` (unknown dim), ``[?]`` (unknown rank)."""
    if shape is None:
        return "[?]"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def shapes_text(shapes: Mapping[str, Sequence[Any] | None]) -> str:
    """``x[1, 3, 224, 224], mask[1, 8]``: the inputs a run or profile used."""
    return ", ".join(f"{k}{dims_text(v)}" for k, v in shapes.items())


def _line(key: str, value: str) -> str:
    return f"{key:<{KEY_WIDTH}} {value}"


def model_name(m: Model) -> str:
    """The model's file name, else its graph name, else ``<in-memory model>``."""
    return m.path.name if m.path is not None else (m.summary()["graph_name"] or "<in-memory model>")


def summary_lines(m: Model, *, brief: bool = False) -> list[str]:
    """Header, nodes, parameters, inputs/outputs and op counts of a model; ``brief`` leaves out the
    opsets, scope groups, metadata and warnings and lists fewer op types."""
    s = m.summary()
    top_n = 12 if brief else 15
    producer = s["producer"] or "-"
    lines = []
    if not brief:
        lines.append(_line("model", s["path"] or "<in memory>"))
        opsets = ", ".join(f"{k} {v}" for k, v in s["opsets"].items())
        lines.append(_line("producer", f"{producer}   IR {s['ir_version']}   opsets {opsets}"))
    else:
        lines.append(_line("producer", producer))
    lines.append(
        _line(
            "nodes",
            f"{s['n_nodes']} in the main graph, {s['n_nodes_total']} in all "
            f"({s['n_subgraphs']} subgraphs, {s['n_functions']} functions)",
        )
    )
    lines.append(_line("params", f"{s['n_params']:,} ({s['param_bytes'] / 2**20:.1f} MiB)"))
    for kind in ("inputs", "outputs"):
        for io in s[kind]:
            lines.append(_line(kind[:-1], f"{io['name']}  {io['dtype'] or '?'}{dims_text(io['shape'])}"))
    ops = list(s["op_types"].items())
    more = " ..." if len(ops) > top_n else ""
    lines.append(_line("op types", ", ".join(f"{op} x{n}" for op, n in ops[:top_n]) + more))
    if brief:
        return lines
    groups = m.scope_tree()
    top_groups = groups[(groups["graph"] == "") & (groups["depth"] == 1)]
    lines.append(
        _line("groups", f"{len(top_groups)} top-level scope groups ({m.scope_methods.get('', 'none')})")
    )
    for key, value in s["metadata"].items():
        lines.append(_line("metadata", f"{key} = {value[:200]}"))
    for w in s["warnings"]:
        lines.append(_line("warning", str(w)))
    return lines


def summary_text(m: Model, title: str | None = None, *, brief: bool = False) -> str:
    """``summary_lines`` joined; with ``title`` a first line ``title: <model name>`` and indented lines."""
    lines = summary_lines(m, brief=brief)
    if title is None:
        return "\n".join(lines)
    return "\n".join([f"{title}: {model_name(m)}", *(f"  {x}" for x in lines)])


__all__ = ["dims_text", "model_name", "shapes_text", "summary_lines", "summary_text"]
