"""Structured fuzzing: protobuf-level mutations made with the onnx API, run through the whole public API.

Byte flips (fuzz/harness.py) rarely get past protobuf parsing; these mutations keep the file valid and
change one field: a dropped or dangling input, a cleared type, an absurd dim, a wrong dtype, a bad or
unexpected attribute (graph attributes on standard ops too), a huge opset, a hostile external-data
location, a sparse tensor, deep nesting, hostile names. Seeds are the onnx package's real light models,
the onnx backend node-test models (``onnx.backend.test.case.node``) and the hostile models of
``fuzz.hostile``.

Each input goes through load, summary, scope tree, graph payload, weights, report and ``oi.run`` in a
worker process; the parent watches it, so a crash (signal) or a hang is caught and the input saved.
Outcome per input: ``ok``, ``InspectError:<class>``, ``raw:<class>@<stage>``, ``crash:<signal>`` or ``hang``.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

from fuzz import hostile as H
from onnx_inspect.runtime.extract import subgraphs

ROOT = Path(__file__).resolve().parent.parent
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
CRASH_DIR = Path(__file__).resolve().parent / "crashes"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "onnx-inspect" / "fuzz"
#: A node-test subset that imports in a second: control flow, crash-prone ops, shapes, sparse, sequences.
QUICK_NODE_MODULES = (
    "if_",
    "loop",
    "scan",
    "constant",
    "constantofshape",
    "reshape",
    "add",
    "labelencoder",
    "eyelike",
    "regex_full_match",
    "sequence_map",
    "gather",
    "conv",
    "cast",
)
SECRET = b"SECRET!!"


# -- seeds ----------------------------------------------------------------------------------------------


def light_seeds(max_bytes: int = 200_000) -> list[tuple[str, bytes]]:
    """The onnx package's real light models (weights made by ConstantOfShape), smallest first."""
    paths = sorted(LIGHT.glob("light_*.onnx"), key=lambda p: p.stat().st_size)
    return [(p.stem, p.read_bytes()) for p in paths if p.stat().st_size <= max_bytes]


def node_test_seeds(modules: tuple[str, ...] | None = None) -> list[tuple[str, bytes]]:
    """onnx backend node-test models: all 1,884 (``modules=None``, cached on disk) or those of ``modules``."""
    if modules is not None:
        from onnx.backend.test.case import node as node_cases

        before = len(node_cases._NodeTestCases)
        for mod in modules:
            with contextlib.suppress(ImportError), _quiet():
                importlib.import_module(f"onnx.backend.test.case.node.{mod}")
        cases = node_cases._NodeTestCases[before:] if before else node_cases._NodeTestCases
        return [(f"node:{c.name}", c.model.SerializeToString()) for c in cases]
    path = CACHE / f"node-tests-onnx-{onnx.__version__}.bin"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        # generating takes ~1 min and prints numpy warnings: once, in a child, into the cache
        code = (
            "import sys, struct, warnings; warnings.simplefilter('ignore')\n"
            "from onnx.backend.test.case.node import collect_testcases\n"
            "out = open(sys.argv[1], 'wb')\n"
            "for c in collect_testcases():\n"
            "    n, b = c.name.encode(), c.model.SerializeToString()\n"
            "    out.write(struct.pack('<II', len(n), len(b)) + n + b)\n"
        )
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, "-c", code, str(tmp)], check=True, capture_output=True)
        tmp.replace(path)
    out = []
    data = path.read_bytes()
    pos = 0
    while pos < len(data):
        n, b = (
            int.from_bytes(data[pos : pos + 4], "little"),
            int.from_bytes(data[pos + 4 : pos + 8], "little"),
        )
        pos += 8
        out.append((f"node:{data[pos : pos + n].decode()}", data[pos + n : pos + n + b]))
        pos += n + b
    return out


def hostile_seeds() -> list[tuple[str, bytes]]:
    """The hand-made hostile models of every defect class."""
    out = [(f"hostile:{op}", H.untyped_first_input(op).SerializeToString()) for op in H.CRASH_OPS]
    out += [
        ("hostile:huge_add", H.huge_declared_add().SerializeToString()),
        ("hostile:flatten_add", H.flatten_then_add(64).SerializeToString()),
        ("hostile:slashes", H.slashy_names(300).SerializeToString()),
        ("hostile:newlines", H.newline_names().SerializeToString()),
        ("hostile:sparse_init", H.sparse_initializer_model().SerializeToString()),
        ("hostile:sparse_const", H.sparse_constant_model().SerializeToString()),
        ("hostile:nested30", H.nested_ifs(30)),
    ]
    for where in H.EXTERNAL_PLACES:
        out.append((f"hostile:ext_{where}", H.external_location("weights.bin", where).SerializeToString()))
    return out


def seed_pool(
    quick: bool = True, light_max_bytes: int = 200_000, skip: Collection[str] = ()
) -> list[tuple[str, bytes]]:
    """Every seed the mutations start from: light models up to ``light_max_bytes``, the hostile models and
    node-test models (the ``QUICK_NODE_MODULES`` subset, or all 1,884), less the seeds named in ``skip``."""
    pool = light_seeds(light_max_bytes) + hostile_seeds()
    pool += node_test_seeds(QUICK_NODE_MODULES if quick else None)
    return [s for s in pool if s[0] not in skip]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


# -- mutations ------------------------------------------------------------------------------------------

Mutation = Callable[[onnx.ModelProto, random.Random], None]


def _graphs(m: onnx.ModelProto) -> list[onnx.GraphProto]:
    out = []
    stack = [m.graph]
    while stack:
        g = stack.pop()
        out.append(g)
        for n in g.node:
            stack.extend(subgraphs(n))
    return out


def _pick_graph(m: onnx.ModelProto, rng: random.Random) -> onnx.GraphProto:
    return rng.choice(_graphs(m))


def _pick_node(m: onnx.ModelProto, rng: random.Random) -> onnx.NodeProto | None:
    g = _pick_graph(m, rng)
    return rng.choice(g.node) if len(g.node) else None


def _value_infos(m: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    return [vi for g in _graphs(m) for vi in (*g.input, *g.output, *g.value_info)]


def m_drop_input(m: onnx.ModelProto, rng: random.Random) -> None:
    n = _pick_node(m, rng)
    if n is not None and n.input:
        n.input[rng.randrange(len(n.input))] = ""


def m_dangle_input(m: onnx.ModelProto, rng: random.Random) -> None:
    n = _pick_node(m, rng)
    if n is not None and n.input:
        n.input[rng.randrange(len(n.input))] = rng.choice(
            ["nowhere", "", " ", "x\n", n.output[0] if n.output else "y"]
        )


def m_drop_node(m: onnx.ModelProto, rng: random.Random) -> None:
    g = _pick_graph(m, rng)
    if len(g.node):
        del g.node[rng.randrange(len(g.node))]


def m_clear_type(m: onnx.ModelProto, rng: random.Random) -> None:
    vis = _value_infos(m)
    if vis:
        vi = rng.choice(vis)
        if rng.random() < 0.5:
            vi.ClearField("type")
        else:
            vi.type.tensor_type.ClearField("elem_type")


def m_absurd_dim(m: onnx.ModelProto, rng: random.Random) -> None:
    value = rng.choice([0, 2**31, 2**40, 2**62, 16384 * 16384, 2**20 + 1])
    vis = [vi for vi in _value_infos(m) if vi.type.HasField("tensor_type")]
    if vis and rng.random() < 0.7:
        shape = rng.choice(vis).type.tensor_type.shape
        if len(shape.dim) and rng.random() < 0.7:
            shape.dim[rng.randrange(len(shape.dim))].dim_value = value
        else:
            shape.dim.add().dim_value = value
    else:
        inits = [t for g in _graphs(m) for t in g.initializer]
        if inits:
            t = rng.choice(inits)
            if len(t.dims):
                t.dims[rng.randrange(len(t.dims))] = value
            else:
                t.dims.append(value)


def m_wrong_dtype(m: onnx.ModelProto, rng: random.Random) -> None:
    elem = rng.choice([0, 2, 7, 8, 9, 10, 16, 17, 19, 21, 22, 23, 25, 999])
    if rng.random() < 0.5:
        vis = [vi for vi in _value_infos(m) if vi.type.HasField("tensor_type")]
        if vis:
            rng.choice(vis).type.tensor_type.elem_type = elem
            return
    inits = [t for g in _graphs(m) for t in g.initializer]
    if inits:
        rng.choice(inits).data_type = elem


def m_bad_attribute(m: onnx.ModelProto, rng: random.Random) -> None:
    n = _pick_node(m, rng)
    if n is None:
        return
    if not n.attribute or rng.random() < 0.3:
        a = n.attribute.add()
        a.name = rng.choice(["axis", "to", "value", "perm", "body", "then_branch", "mode", "x\ny"])
        a.type = rng.choice([onnx.AttributeProto.INT, onnx.AttributeProto.INTS, onnx.AttributeProto.STRING])
        a.i = rng.choice([-(2**62), 2**62, 999])
        a.ints.extend([2**40, -1, 0])
        a.s = b"\xff\n"
        return
    a = rng.choice(n.attribute)
    choice = rng.randrange(6)
    if choice == 0:
        a.i = rng.choice([-(2**63), 2**63 - 1, -1, 10**9])
    elif choice == 1:
        del a.ints[:]
        a.ints.extend(rng.choice([[], [2**62] * 3, [-5, 99, 2**31]]))
    elif choice == 2:
        a.f = rng.choice([float("nan"), float("inf"), -1e38])
    elif choice == 3:
        a.type = rng.choice([t for t in range(15) if t != a.type])
    elif choice == 4:
        n.attribute.remove(a)
    else:
        a.s = rng.choice([b"", b"\xff\xfe", b"x" * 10_000, b"a\nb"])


def m_graph_attribute_on_standard_op(m: onnx.ModelProto, rng: random.Random) -> None:
    n = _pick_node(m, rng)
    if n is None or not n.output:
        return
    body = helper.make_graph(
        [helper.make_node("Identity", ["in_body"], ["out_body"])],
        "stray",
        [helper.make_tensor_value_info("in_body", T.FLOAT, [1])],
        [helper.make_tensor_value_info("out_body", T.FLOAT, [1])],
    )
    n.attribute.append(helper.make_attribute(rng.choice(["body", "then_branch", "extra"]), body))


def m_huge_opset(m: onnx.ModelProto, rng: random.Random) -> None:
    if not len(m.opset_import):
        return
    o = rng.choice(m.opset_import)
    choice = rng.randrange(4)
    if choice == 0:
        o.version = rng.choice([0, -1, 2**31 - 1, 2**31, 2**40, 10_000])
    elif choice == 1:
        o.domain = rng.choice(["ai.onnx.ml", "com.microsoft", "weird\ndomain", "ai.onnx"])
    elif choice == 2:
        del m.opset_import[:]
    else:
        m.ir_version = rng.choice([0, 1, 3, 100, 2**40])


def m_external_location(m: onnx.ModelProto, rng: random.Random) -> None:
    location = rng.choice(
        [
            "weights.bin",
            "../secret.bin",
            "/etc/passwd",
            "a\0b",
            b"\xff\xfe",
            "missing.bin",
            "",
            "link.bin",
            ".",
        ]
    )
    inits = [t for g in _graphs(m) for t in g.initializer]
    if inits and rng.random() < 0.7:
        t = rng.choice(inits)
    else:
        t = None
        for g in _graphs(m):
            for n in g.node:
                for a in n.attribute:
                    if a.type == onnx.AttributeProto.TENSOR:
                        t = a.t
        if t is None:
            return
    t.ClearField("raw_data")
    for f in ("float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data"):
        t.ClearField(f)
    t.data_location = T.EXTERNAL
    del t.external_data[:]
    loc = location if isinstance(location, bytes) else location.encode()
    t.MergeFromString(H._field(13, H._field(1, b"location") + H._field(2, loc)))
    if rng.random() < 0.4:
        e = t.external_data.add()
        e.key, e.value = rng.choice(
            [("offset", "-5"), ("offset", "99999999999"), ("length", "x"), ("length", "4")]
        )


def m_sparse(m: onnx.ModelProto, rng: random.Random) -> None:
    g = rng.choice(_graphs(m))
    if len(g.initializer) and rng.random() < 0.6:
        k = rng.randrange(len(g.initializer))
        t = g.initializer[k]
        try:
            arr = numpy_helper.to_array(t).reshape(-1)
        except Exception:
            return
        if arr.size > 100_000:
            return
        nz = np.flatnonzero(arr)[:1000]
        values = numpy_helper.from_array(arr[nz], t.name)
        idx = nz.astype(np.int64)
        if rng.random() < 0.3:
            idx = idx + rng.choice([-1, 10**6, 2**40])
        sp = helper.make_sparse_tensor(values, numpy_helper.from_array(idx, ""), list(t.dims))
        if rng.random() < 0.3:
            sp.dims.append(2**31)
        del g.initializer[k]
        g.sparse_initializer.append(sp)
        return
    values = numpy_helper.from_array(np.array([1.0, 2.0], np.float32), "v")
    dims = rng.choice([[4], [2**32], [2, 2], [0]])
    indices = numpy_helper.from_array(np.array(rng.choice([[0, 3], [5, 9], [[0, 0], [1, 1]]]), np.int64), "i")
    name = f"sparse_{rng.randrange(1000)}"
    g.node.append(
        helper.make_node(
            "Constant", [], [name], sparse_value=helper.make_sparse_tensor(values, indices, dims)
        )
    )


def m_names(m: onnx.ModelProto, rng: random.Random) -> None:
    n = _pick_node(m, rng)
    if n is None:
        return
    n.name = rng.choice(
        ["/".join(["s"] * 1000) + "/x", "a\nb", "", "<script>alert(1)</script>", "x" * 5000, "::"]
    )
    if rng.random() < 0.3 and n.output:
        n.output[0] = rng.choice(["", "a\nb", n.input[0] if n.input else "q"])


def m_duplicate_or_cycle(m: onnx.ModelProto, rng: random.Random) -> None:
    g = _pick_graph(m, rng)
    if len(g.node) < 2:
        return
    a, b = rng.sample(range(len(g.node)), 2)
    if rng.random() < 0.5 and g.node[a].output and g.node[b].output:
        g.node[b].output[0] = g.node[a].output[0]
    elif g.node[a].output and g.node[b].input:
        g.node[b].input[0] = g.node[a].output[0]
        if g.node[a].input and g.node[b].output:
            g.node[a].input[0] = g.node[b].output[0]
    else:
        nodes = list(g.node)
        rng.shuffle(nodes)
        del g.node[:]
        g.node.extend(nodes)


def m_huge_work(m: onnx.ModelProto, rng: random.Random) -> None:
    """ConstantOfShape of a huge shape, or a Loop with an enormous trip count, added to the main graph."""
    g = m.graph
    k = rng.randrange(10**6)
    if rng.random() < 0.5:
        dims = rng.choice([[16384, 16384], [2**31], [2**20, 2**20]])
        g.initializer.append(helper.make_tensor(f"shape_{k}", T.INT64, [len(dims)], dims))
        g.node.append(helper.make_node("ConstantOfShape", [f"shape_{k}"], [f"big_{k}"]))
        g.output.append(helper.make_tensor_value_info(f"big_{k}", T.FLOAT, None))
    else:
        body = helper.make_graph(
            [helper.make_node("Identity", ["cond_in"], ["cond_out"])],
            "loop_body",
            [
                helper.make_tensor_value_info("i", T.INT64, []),
                helper.make_tensor_value_info("cond_in", T.BOOL, []),
            ],
            [helper.make_tensor_value_info("cond_out", T.BOOL, [])],
        )
        g.initializer.append(helper.make_tensor(f"trip_{k}", T.INT64, [], [2**62]))
        g.initializer.append(helper.make_tensor(f"cond_{k}", T.BOOL, [], [True]))
        g.node.append(helper.make_node("Loop", [f"trip_{k}", f"cond_{k}"], [], body=body))


def m_nest(m: onnx.ModelProto, rng: random.Random) -> None:
    """Wrap the main graph into an If's then-branch, a few levels deep."""
    for _ in range(rng.choice([1, 2, 3])):  # then and else both hold the graph: 2**levels copies
        if m.ByteSize() > 300_000:  # keep it a nesting test, not a size test
            return
        inner = onnx.GraphProto()
        inner.CopyFrom(m.graph)
        outer_inputs = list(inner.input)
        del inner.input[:]
        cond = f"cond_{rng.randrange(10**6)}"
        node = helper.make_node(
            "If", [cond], [o.name for o in inner.output], then_branch=inner, else_branch=inner
        )
        m.graph.ClearField("node")
        m.graph.ClearField("initializer")
        m.graph.ClearField("value_info")
        m.graph.node.append(node)
        del m.graph.input[:]
        m.graph.input.extend([*outer_inputs, helper.make_tensor_value_info(cond, T.BOOL, [])])


MUTATIONS: dict[str, Mutation] = {
    f.__name__[2:]: f
    for f in (
        m_drop_input,
        m_dangle_input,
        m_drop_node,
        m_clear_type,
        m_absurd_dim,
        m_wrong_dtype,
        m_bad_attribute,
        m_graph_attribute_on_standard_op,
        m_huge_opset,
        m_external_location,
        m_sparse,
        m_names,
        m_duplicate_or_cycle,
        m_huge_work,
        m_nest,
    )
}


def mutate(data: bytes, rng: random.Random, kinds: list[str] | None = None) -> tuple[bytes, list[str]]:
    """One to three structured mutations of a serialized model; returns the new bytes and their names."""
    m = onnx.ModelProto()
    m.ParseFromString(data)
    kinds = kinds or list(MUTATIONS)
    names = [rng.choice(kinds) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    for name in names:
        with contextlib.suppress(Exception):  # protobuf refuses some (nesting too deep): keep what was done
            MUTATIONS[name](m, rng)
    try:
        return m.SerializeToString(), names
    except Exception:  # e.g. nesting beyond protobuf's depth: keep the last good bytes
        return data, names


def cases(
    n: int, seed: int, pool: list[tuple[str, bytes]], kinds: list[str] | None = None
) -> Iterator[tuple[str, bytes]]:
    """``n`` mutated inputs, deterministic for a seed; every tenth is an unmutated seed."""
    rng = random.Random(seed)
    for k in range(n):
        name, data = pool[rng.randrange(len(pool))]
        if k % 10 == 9:
            yield name, data
            continue
        out, names = mutate(data, rng, kinds)
        yield f"{name}+{'+'.join(names)}", out


# -- the property: every stage of the API ends in ok or an InspectError ---------------------------------

STAGES = ("load", "summary", "scope_tree", "graph_payload", "weights", "report", "run")


def exercise(model_path: Path, out_dir: Path, run_budget: float = 3.0) -> str:
    """Push one model file through the API; 'ok', 'InspectError:<class>' or 'raw:<class>@<stage>'."""
    import onnx_inspect as oi
    from onnx_inspect.views.graph_payload import graph_payload

    worst = "ok"
    stage = "load"
    try:
        m = oi.load(model_path)
    except oi.InspectError as exc:
        return f"InspectError:{type(exc).__name__}"
    except BaseException as exc:
        return f"raw:{type(exc).__name__}@{stage}"

    run_kw: dict[str, object] = {"seed": 0, "max_bytes": 64 * 2**20}
    if "time_budget" in inspect.signature(oi.run).parameters:
        run_kw["time_budget"] = run_budget

    def weights() -> None:
        t = m.tensors
        for tid in list(t.index[t["kind"].isin(["initializer", "constant"])][:5]):
            with contextlib.suppress(oi.InspectError):
                w = m.weight(t.at[tid, "name"], t.at[tid, "graph"])
                np.asarray(w.reshape(-1)[:16]).tolist()

    steps: list[tuple[str, Callable[[], object]]] = [
        ("summary", m.summary),
        ("scope_tree", m.scope_tree),
        ("graph_payload", lambda: graph_payload(m)),
        ("weights", weights),
        ("report", lambda: oi.report(m, out_dir / "report.html")),
        ("run", lambda: oi.run(m, **run_kw)),
    ]
    for stage, step in steps:
        try:
            step()
        except oi.InspectError as exc:
            if worst == "ok":
                worst = f"InspectError:{type(exc).__name__}"
        except BaseException as exc:
            return f"raw:{type(exc).__name__}@{stage}"
    return worst


def worker(batch: Path) -> None:
    """Child side: for each case file, print START, run it, print the outcome as one JSON line."""
    import resource  # POSIX only, like the select() on pipes the parent uses

    limit = int(os.environ.get("OI_FUZZ_MEMORY", str(6 * 2**30)))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import warnings

    warnings.simplefilter("ignore")
    for case in sorted(batch.glob("*.onnx"), key=lambda p: int(p.stem)):
        print(json.dumps({"start": case.stem}), flush=True)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="oi-fz-") as d:
            folder = Path(d) / "model"
            folder.mkdir()
            (Path(d) / "secret.bin").write_bytes(SECRET)
            (folder / "weights.bin").write_bytes(np.arange(64, dtype=np.float32).tobytes())
            os.symlink(Path(d) / "secret.bin", folder / "link.bin")
            path = folder / "model.onnx"
            path.write_bytes(case.read_bytes())
            with _quiet():
                outcome = exercise(path, Path(d))
            leaked = any(SECRET in p.read_bytes() for p in Path(d).glob("*.html"))
            if leaked:
                outcome = "raw:SecretLeaked@report"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps({"case": case.stem, "outcome": outcome, "s": time.perf_counter() - t0, "rss_mb": rss}),
            flush=True,
        )


@dataclass
class Result:
    """What a run found: outcome counts, the slowest input, the peak worker RSS and saved inputs."""

    tried: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")
    peak_rss_mb: float = 0.0
    saved: list[str] = field(default_factory=list)

    def bad(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if k.startswith(("raw", "crash", "hang"))}


def run_cases(
    items: list[tuple[str, bytes]], hang_s: float = 60.0, batch: int = 200, save: bool = True
) -> Result:
    """Run inputs in worker processes (``batch`` per worker); classify crashes and hangs by the parent."""
    res = Result()
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "PYTHONWARNINGS": "ignore",
    }
    pending = list(enumerate(items))
    while pending:
        chunk, pending = pending[:batch], pending[batch:]
        with tempfile.TemporaryDirectory(prefix="oi-fz-batch-") as d:
            for k, (_, data) in chunk:
                Path(d, f"{k}.onnx").write_bytes(data)
            by_key = {str(k): (name, data) for k, (name, data) in chunk}
            proc = subprocess.Popen(
                [sys.executable, "-m", "fuzz.structured", "--worker", d],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
                env=env,
            )
            assert proc.stdout is not None
            current: str | None = None
            done: set[str] = set()
            buf = b""
            deadline = time.monotonic() + hang_s
            while True:
                ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:  # no line for hang_s: the current input hangs
                    proc.kill()
                    proc.wait()
                    if current is not None:
                        _record(res, by_key[current], "hang", hang_s, save)
                        done.add(current)
                    break
                chunk_bytes = os.read(proc.stdout.fileno(), 65536)
                if not chunk_bytes:
                    rc = proc.wait()
                    if current is not None and current not in done:
                        sig = signal.Signals(-rc).name if rc < 0 else f"exit{rc}"
                        _record(res, by_key[current], f"crash:{sig}", 0.0, save)
                        done.add(current)
                    break
                buf += chunk_bytes
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line)
                    if "start" in msg:
                        current = msg["start"]
                        deadline = time.monotonic() + hang_s
                    else:
                        done.add(msg["case"])
                        res.peak_rss_mb = max(res.peak_rss_mb, msg["rss_mb"])
                        _record(res, by_key[msg["case"]], msg["outcome"], msg["s"], save)
            if not done:  # the worker died before its first input: nothing would ever progress
                raise RuntimeError(
                    "the fuzz worker did not start; run `python -m fuzz.structured --worker DIR`"
                )
            # inputs after a crash or hang go to a fresh worker
            pending = sorted((int(k), by_key[k]) for k in by_key if k not in done) + pending
    return res


def _record(res: Result, item: tuple[str, bytes], outcome: str, seconds: float, save: bool) -> None:
    name, data = item
    res.tried += 1
    res.counts[outcome] = res.counts.get(outcome, 0) + 1
    if seconds > res.slowest[0]:
        res.slowest = (seconds, name)
    if save and outcome.startswith(("raw", "crash", "hang")):
        CRASH_DIR.mkdir(exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in f"{outcome}-{name}")[:150]
        path = CRASH_DIR / f"{safe}-{len(data)}.onnx"
        path.write_bytes(data)
        res.saved.append(str(path))


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--worker":
    worker(Path(sys.argv[2]))
