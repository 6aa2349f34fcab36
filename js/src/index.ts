// anywidget entry point: `render({ model, el })`. Also exports `mount` for pages without a
// widget manager: tests/browser/test_first_view_browser.py's page harness (the report has report.ts).

import type { AnyModel, RenderProps } from "@anywidget/types";
import type { Overlay } from "./colors";
import { warmLayoutWorkers } from "./engine";
import { type RawPayload, decodePayload } from "./payload";
import { sendSnapshotWhenReady } from "./snapshot";
import { GraphViewUI, type Host } from "./view";

export { GraphViewUI } from "./view";
export { decodePayload } from "./payload";

/** GraphView's synced traits (widgets/graphview.py), as this front end reads and writes them. */
export interface GraphViewTraits {
  /** the graph payload: UTF-8 JSON bytes (a DataView from the widget manager); the report page passes it parsed */
  _payload: DataView | ArrayBuffer | string | RawPayload;
  selected: string[];
  /** an overlay spec (views/overlay.py), or {} for none */
  overlay: Overlay | Record<string, never>;
  height: string;
  _want_snapshot: boolean;
}

/** The widget model of a GraphView. */
export type WidgetModel = AnyModel<GraphViewTraits>;

/** Payload as it arrives: UTF-8 JSON bytes (the widget trait), a JSON string, or an object. */
export function parsePayload(raw: unknown): RawPayload {
  if (raw instanceof DataView || raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    const bytes =
      raw instanceof ArrayBuffer
        ? new Uint8Array(raw)
        : new Uint8Array((raw as ArrayBufferView).buffer, (raw as ArrayBufferView).byteOffset, (raw as ArrayBufferView).byteLength);
    return JSON.parse(new TextDecoder().decode(bytes)) as RawPayload;
  }
  if (typeof raw === "string") return JSON.parse(raw) as RawPayload;
  return raw as RawPayload;
}

function errorBox(el: HTMLElement, err: unknown): void {
  const box = document.createElement("div");
  box.className = "oi-graph oi-error";
  box.setAttribute("data-oi-state", "error");
  box.textContent = `onnx-inspect graph view: ${String(err)}`;
  el.appendChild(box);
}

/** Payloads from this size up are big enough to need the layout workers. */
const WARM_BYTES = 20_000;

function payloadSize(raw: unknown): number {
  if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) return raw.byteLength;
  return typeof raw === "string" ? raw.length : 0;
}

function render({ model, el }: Pick<RenderProps<GraphViewTraits>, "model" | "el">): () => void {
  let ui: GraphViewUI;
  try {
    const raw = model.get("_payload");
    // start the layout workers before decoding, so they come up while the main thread is busy
    if (payloadSize(raw) >= WARM_BYTES) warmLayoutWorkers();
    const data = decodePayload(parsePayload(raw));
    const listeners: [string, () => void][] = [];
    const on = (ev: string, cb: () => void) => {
      model.on(ev, cb);
      listeners.push([ev, cb]);
    };
    const host: Host = {
      selected: () => model.get("selected") ?? [],
      setSelected: (ids) => {
        model.set("selected", ids);
        model.save_changes();
      },
      overlay: () => {
        const o = model.get("overlay");
        return o && "values" in o ? (o as Overlay) : null; // {} is "no overlay"
      },
      onSelected: (cb) => on("change:selected", cb),
      onOverlay: (cb) => on("change:overlay", cb),
      height: () => model.get("height") ?? "600px",
    };
    ui = new GraphViewUI(el, data, host);
    // the first view's picture, for the output's static fallback (widgets/fallback.py)
    const stopSnapshot = sendSnapshotWhenReady(
      el,
      () => model.get("_want_snapshot") === true && typeof model.send === "function",
      (svg) => model.send({ kind: "oi-snapshot", svg }),
    );
    return () => {
      stopSnapshot();
      for (const [ev, cb] of listeners) model.off(ev, cb);
      ui.destroy();
    };
  } catch (err) {
    errorBox(el, err);
    return () => {};
  }
}

/** Mount a graph view on a page without a widget manager; returns the view (selection callbacks via opts). */
export function mount(
  el: HTMLElement,
  payload: unknown,
  opts: { selected?: string[]; overlay?: Overlay | null; height?: string; onSelect?: (ids: string[]) => void } = {},
): { view: GraphViewUI; setOverlay(o: Overlay | null): void; setSelected(ids: string[]): void; selected(): string[] } {
  let selected = opts.selected ?? [];
  let overlay = opts.overlay ?? null;
  const selCbs: (() => void)[] = [];
  const ovCbs: (() => void)[] = [];
  const host: Host = {
    selected: () => selected,
    setSelected: (ids) => {
      selected = ids;
      opts.onSelect?.(ids);
    },
    overlay: () => overlay,
    onSelected: (cb) => selCbs.push(cb),
    onOverlay: (cb) => ovCbs.push(cb),
    height: () => opts.height ?? "600px",
  };
  const view = new GraphViewUI(el, decodePayload(parsePayload(payload)), host);
  return {
    view,
    setOverlay(o) {
      overlay = o;
      for (const cb of ovCbs) cb();
    },
    setSelected(ids) {
      selected = ids;
      for (const cb of selCbs) cb();
    },
    selected: () => selected,
  };
}

export default { render };
