"""The Profile tab: profile runs, figures, latency/provider overlays on the graph."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import ipywidgets as W

from ...errors import InspectError
from ...runtime.providers import OPTIMIZATION_LEVELS, Optimization, short_provider
from ...views import details as D
from ...views.summary import shapes_text
from ._common import (
    _LABEL,
    _TOGGLE,
    PROFILE,
    TabHost,
    _bar_updater,
    _html,
    _Ticker,
    show_figure,
)


class ProfileTab(TabHost):
    """The Profile tab: profile runs, figures, latency/provider overlays on the graph. (a part of ``Inspector``: methods only, state lives on the Inspector)."""

    def _build_profile_tab(self) -> None:
        from ...runtime.providers import providers

        provs = providers()
        small = W.Layout(width="170px")
        sd = _LABEL
        self._p_runs = W.BoundedIntText(
            value=10, min=1, max=100_000, description="runs", layout=small, style=sd
        )
        self._p_warmup = W.BoundedIntText(
            value=2, min=0, max=10_000, description="warmup", layout=small, style=sd
        )
        self._p_provider = W.Dropdown(options=provs, value=provs[0], description="provider", style=_LABEL)
        self._p_opt = W.Dropdown(
            options=list(OPTIMIZATION_LEVELS),
            value="all",
            description="optimization",
            style=_LABEL,
        )
        self._p_btn = W.Button(description="Profile", button_style="primary", icon="tachometer")
        self._p_btn.add_class("oi-profile-run")
        self._p_progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="98%"))
        self._p_progress.add_class("oi-progress")
        self._p_status = _html()
        self._p_status.add_class("oi-profile-status")
        self._p_overlay = W.ToggleButtons(
            options=[("off", "off"), ("latency", "latency"), ("provider", "provider")],
            value="off",
            description="paint graph",
            disabled=True,
            style=_TOGGLE,
        )
        self._p_overlay.add_class("oi-profile-paint")
        self._p_overlay.observe(lambda ch: self._apply_overlay_safe(ch["new"]), "value")
        self._p_summary = _html()
        self._p_figs = [W.Output(layout=W.Layout(width="100%")) for _ in range(3)]
        for f, cls in zip(
            self._p_figs, ("oi-fig-op-types", "oi-fig-top-nodes", "oi-fig-timeline"), strict=True
        ):
            f.add_class(cls)
        self._p_btn.on_click(lambda _: self._spawn(self._profile_clicked, self._p_status))
        self._profile_box = W.VBox(
            [
                W.HBox([self._p_runs, self._p_warmup], layout=W.Layout(flex_flow="row wrap")),
                self._p_provider, self._p_opt, *self._profile_inputs(),
                self._p_btn, self._p_progress, self._p_status, self._p_overlay, self._p_summary, *self._p_figs,
            ]
        )  # fmt: skip

    def _profile_inputs(self) -> list[W.Widget]:
        """The Profile tab's copy of the free-dim fields, kept equal to the Run tab's, and a note on inputs."""
        self._p_dims: dict[str, W.Text] = {}
        for key, f in self._dims.items():
            g = W.Text(value=f.value, placeholder=f.placeholder, description=f.description, tooltip=f.tooltip,
                       style={"description_width": "initial"}, layout=W.Layout(width="220px"))  # fmt: skip
            g.add_class("oi-dim")
            f.observe(lambda ch, g=g: setattr(g, "value", ch["new"]), "value")
            g.observe(lambda ch, f=f: setattr(f, "value", ch["new"]), "value")
            self._p_dims[key] = g
        note = _html(
            D.note_html("inputs: as chosen in the Run tab (generated with these dims, an .npz or a variable)")
        )
        if not self._p_dims:
            return [note]
        return [note, W.HBox(list(self._p_dims.values()), layout=W.Layout(flex_flow="row wrap"))]

    def run_profile(
        self,
        runs: int | None = None,
        warmup: int | None = None,
        *,
        provider: str | None = None,
        optimization: Optimization | None = None,
        feeds: Mapping[str, Any] | None = None,
        overlay: str = "latency",
    ) -> Any:
        """Profile the model (fields' values unless given), show the figures and paint ``overlay`` onto the
        graph ('latency', 'provider' or 'off'); sets and returns ``insp.profile``."""
        from ...runtime.profile import profile

        self._ensure_tab(PROFILE)
        with self._reporting(self._p_status, "profile"):
            runs = int(self._p_runs.value if runs is None else runs)
            warmup = int(self._p_warmup.value if warmup is None else warmup)
            prov = provider or self._p_provider.value
            opt = optimization or self._p_opt.value
            kw: dict[str, Any] = {"feeds": feeds} if feeds is not None else {}
            if feeds is None and self._source.value != "generated":
                kw = {"feeds": self._feeds()["feeds"]}
            elif feeds is None:
                dims = self._feeds().get("dims")
                if dims:
                    kw["dims"] = dims
            self._p_btn.disabled = True
            bar = self._p_progress
            bar.value, bar.max, bar.bar_style = 0, runs + warmup, "info"
            bar.add_class("oi-busy")
            try:
                with _Ticker(self._p_status, f"profiling {runs} runs (+{warmup} warmup) on {short_provider(prov)}, "
                             f"optimization {opt}…") as tick:  # fmt: skip
                    p = profile(
                        self.model,
                        runs=runs,
                        warmup=warmup,
                        providers=[prov],
                        optimization=opt,
                        progress=_bar_updater(bar),
                        **kw,
                    )
                    took = tick.elapsed
                bar.bar_style = "success"
            except Exception:
                bar.bar_style = "danger"
                raise
            finally:
                bar.remove_class("oi-busy")
                self._p_btn.disabled = False
            self.profile = p
            self._show_profile(p, took)
            self._p_overlay.disabled = False
            if self._p_overlay.value == overlay:
                self.set_overlay(overlay)
            else:
                self._p_overlay.value = overlay  # the observer paints
            return p

    def _show_profile(self, p: Any, took: float) -> None:
        s = p.summary()
        pairs = [
            ("runs", f"{s['runs']} (after warmup)"),
            ("mean run", f"{s['mean_run_us']:,.0f} us"),
            ("kernel time per run", f"{s['mean_kernel_us']:,.0f} us"),
            ("on model nodes", f"{s['coverage']:.1%} of kernel time"),
            ("providers", ", ".join(short_provider(x) for x in (s["providers"] or []))),
            ("optimization", s["optimization"]),
            ("inputs", shapes_text(p.meta.get("input_shapes") or {})),
        ]
        rows = "".join(f"<tr><th>{D.esc(k)}</th><td>{D.esc(v)}</td></tr>" for k, v in pairs)
        warn = "".join(f"<div class='oi-warning'>{D.esc(w)}</div>" for w in s["warnings"])
        self._p_summary.value = f"<table class='oi-table oi-kv'><tbody>{rows}</tbody></table>{warn}"
        show_figure(self._p_figs[0], p.figure_op_types())
        show_figure(self._p_figs[1], p.figure_top_nodes())
        show_figure(self._p_figs[2], p.figure_timeline())
        self._p_status.value = D.note_html(f"profiled in {took:.1f} s")

    def _profile_clicked(self) -> None:
        self.run_profile(overlay=self._p_overlay.value if self._p_overlay.value != "off" else "latency")

    def set_overlay(self, mode: str) -> None:
        """Paint the last profile onto the graph: 'latency' (mean time per run), 'provider', or 'off'."""
        if mode not in ("off", "latency", "provider"):
            raise InspectError(f"overlay mode {mode!r} is not one of 'off', 'latency', 'provider'")
        self._ensure_tab(PROFILE)
        if self.graph is None:
            return
        if mode == "off":
            self.graph.clear_overlay()
            if self._p_overlay.value != "off":
                self._p_overlay.value = "off"
            return
        if self.profile is None:
            raise InspectError("no profile yet: press Profile (or call insp.run_profile()) first")
        self.graph.set_overlay(self.profile.overlay("mean_us" if mode == "latency" else "provider"))
        if self._p_overlay.value != mode:
            self._p_overlay.value = mode

    def _apply_overlay_safe(self, mode: str) -> None:
        with contextlib.suppress(Exception), self._reporting(self._p_status, "painting the graph"):
            self.set_overlay(mode)
