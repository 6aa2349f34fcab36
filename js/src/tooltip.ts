// The graph view's tooltip: what it says about a node, a collapsed group or an io box (with the
// overlay's value), and where it goes. Text only through textContent.

import { formatNumber } from "./colors";
import { el } from "./dom";
import type { Tree } from "./groups";
import type { OverlayInfo } from "./overlay";
import { type GraphData, KIND_INITIALIZER, nodeInputs, nodeOutputs } from "./payload";

/** One tensor as a tooltip row: name, dtype, shape, whether it is a weight. */
export function tensorLine(d: GraphData, t: number): string {
  const shape = d.tensorShape[t] || "?";
  const dtype = d.tensorDtype[t] ? `${d.tensorDtype[t]} ` : "";
  const w = d.tensorKind[t] === KIND_INITIALIZER ? "  (weight)" : "";
  return `${d.tensorNameAt(t)}: ${dtype}${shape}${w}`;
}

/** The rows (class, text) of the tooltip of a node, a group or an io box; none for anything else. */
export function tooltipLines(d: GraphData, tree: Tree, ov: OverlayInfo | null, target: Element): [string, string][] {
  const out: [string, string][] = [];
  const id = target.getAttribute("data-node-id");
  if (id != null) {
    const i = d.nodeIndex.get(id);
    if (i === undefined) return out;
    out.push(["oi-tt-title", d.nodeDomain[i] ? `${d.nodeOp[i]} (${d.nodeDomain[i]})` : d.nodeOp[i]]);
    if (d.nodeName[i]) out.push(["oi-tt-name", d.nodeName[i]]);
    if (d.nodeId[i] !== d.nodeName[i]) out.push(["oi-tt-id", `id: ${d.nodeId[i]}`]);
    const ins = nodeInputs(d, i);
    if (ins.length) out.push(["oi-tt-head", "inputs"]);
    for (const t of ins) out.push(["oi-tt-row", t >= 0 ? tensorLine(d, t) : "(omitted)"]);
    const outs = nodeOutputs(d, i);
    if (outs.length) out.push(["oi-tt-head", "outputs"]);
    for (const t of outs) out.push(["oi-tt-row", t >= 0 ? tensorLine(d, t) : "(omitted)"]);
    const bodies = d.bodiesOf.get(i);
    if (bodies) out.push(["oi-tt-head", `double-click to open: ${bodies.map((g) => d.graphAttr[g] || d.graphPath[g]).join(", ")}`]);
    if (ov) {
      const v = ov.values.get(i);
      out.push(["oi-tt-overlay", `${ov.label}: ${v === undefined ? "\u2014" : typeof v === "number" ? formatNumber(v) : v}${ov.unit}`]);
    }
    return out;
  }
  const gid = target.getAttribute("data-group-id") ?? target.getAttribute("data-expanded-group-id");
  if (gid != null) {
    const t = tree;
    const g = t.groupIndex.get(gid);
    if (g === undefined) return out;
    out.push(["oi-tt-title", t.groupLabel[g] || gid]);
    out.push(["oi-tt-name", gid]);
    out.push(["oi-tt-row", `${t.groupCount[g]} nodes`]);
    out.push(["oi-tt-head", target.hasAttribute("data-group-id") ? "double-click to expand" : "double-click the header to collapse"]);
    if (ov) {
      const v = ov.groupValue(t, g);
      if (v !== undefined) out.push(["oi-tt-overlay", `${ov.label}: ${typeof v === "number" ? formatNumber(v) : v}${ov.unit}`]);
    }
    return out;
  }
  const io = target.getAttribute("data-io-id");
  if (io != null) {
    const cls = target.classList;
    out.push(["oi-tt-title", cls.contains("oi-input") ? "graph input" : cls.contains("oi-output") ? "graph output" : "value from an enclosing graph"]);
    const t = d.tensorName.indexOf(io);
    out.push(["oi-tt-row", t >= 0 ? tensorLine(d, t) : io]);
  }
  return out;
}

/** Show the rows in the tooltip beside the pointer, kept inside the canvas; no rows hide it. */
export function showTooltip(tip: HTMLElement, canvas: HTMLElement, ev: PointerEvent, lines: [string, string][]): void {
  if (lines.length === 0) {
    tip.hidden = true;
    return;
  }
  const rows: HTMLElement[] = [];
  for (const [cls, text] of lines) rows.push(el("div", cls, text));
  tip.replaceChildren(...rows);
  tip.hidden = false;
  const box = canvas.getBoundingClientRect();
  let x = ev.clientX - box.left + 14;
  let y = ev.clientY - box.top + 14;
  const tw = tip.offsetWidth;
  const th = tip.offsetHeight;
  if (x + tw > box.width) x = Math.max(0, ev.clientX - box.left - tw - 10);
  if (y + th > box.height) y = Math.max(0, ev.clientY - box.top - th - 10);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}
