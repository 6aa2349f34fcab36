// anywidget entry point: `render({ model, el })`. Also exports `mount` for pages without a
// widget manager: tests/browser/test_first_view_browser.py's page harness (the report has report.ts).

import type { AnyModel, RenderProps } from "@anywidget/types";
import type { Overlay } from "./colors";
import { decodeOffThread, warmLayoutWorkers } from "./engine";
import { type Tree, treeFromParts } from "./groups";
import { unpackTree } from "./offthread";
import { type RawPayload, decodePayload, isWireForm, measureDone, readWireForm, timed, wireParts } from "./payload";
import { sendSnapshotWhenReady } from "./snapshot";
import { GraphViewUI, type Host } from "./view";

export { GraphViewUI } from "./view";
export { decodePayload } from "./payload";

/** GraphView's synced traits (widgets/graphview.py), as this front end reads and writes them. */
export interface GraphViewTraits {
  /** the graph payload: its wire form (a DataView from the widget manager; views/graph_payload.py
   * payload_bytes) or UTF-8 JSON bytes; the report page passes it parsed */
  _payload: DataView | ArrayBuffer | string | RawPayload;
  selected: string[];
  /** an overlay spec (views/overlay.py), or {} for none */
  overlay: Overlay | Record<string, never>;
  height: string;
  _want_snapshot: boolean;
}

/** The widget model of a GraphView. */
export type WidgetModel = AnyModel<GraphViewTraits>;

function asBytes(raw: unknown): Uint8Array | null {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return null;
}

/** Payload as it arrives without the wire form: UTF-8 JSON bytes, a JSON string, or an object (the report). */
export function parsePayload(raw: unknown): RawPayload {
  const bytes = asBytes(raw);
  if (bytes) {
    if (isWireForm(bytes)) throw new Error("a compressed graph payload is read by readWireForm (async)");
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

/** About the size of the payload as JSON (the wire form is about a tenth of that). */
function payloadSize(raw: unknown): number {
  const bytes = asBytes(raw);
  if (bytes) return isWireForm(bytes) ? 10 * bytes.byteLength : bytes.byteLength;
  return typeof raw === "string" ? raw.length : 0;
}

type Props = Pick<RenderProps<GraphViewTraits>, "model" | "el">;

/** Render the widget: at once for a JSON or parsed payload (the report), after inflating the wire form. */
function render({ model, el }: Props): (() => void) | Promise<() => void> {
  const raw = model.get("_payload");
  // start the layout workers before decoding, so they come up while the main thread is busy
  if (payloadSize(raw) >= WARM_BYTES) warmLayoutWorkers();
  const since = typeof performance !== "undefined" ? performance.now() : undefined;
  const bytes = asBytes(raw);
  if (bytes && isWireForm(bytes)) {
    return readOffThread(bytes).then(
      ({ raw, first }) => show({ model, el }, raw, first ? undefined : since, first),
      (err) => {
        errorBox(el, err);
        return () => {};
      },
    );
  }
  try {
    return show({ model, el }, parsePayload(raw), since);
  } catch (err) {
    errorBox(el, err);
    return () => {};
  }
}

/**
 * The wire form decoded, with the first view's tree, by a layout worker (offthread.ts); on this
 * thread (and the tree built later by the view) where workers cannot run or the worker failed.
 */
async function readOffThread(bytes: Uint8Array): Promise<{ raw: RawPayload; first: Tree | null }> {
  const start = typeof performance !== "undefined" ? performance.now() : 0;
  let got: Awaited<ReturnType<typeof decodeOffThread>> = null;
  try {
    got = await decodeOffThread(...wireParts(bytes));
  } catch {
    got = null; // a worker that failed: decode here, where an error names itself in the view
  }
  if (!got) return { raw: await readWireForm(bytes), first: null };
  const { decoded, rest } = got;
  measureDone("oi:offthread", performance.now() - start); // wall time until both workers' answers are taken
  measureDone("oi:worker-inflate", decoded.times.inflate);
  measureDone("oi:worker-unpack", decoded.times.unpack);
  measureDone("oi:worker-decode", decoded.times.decode);
  measureDone("oi:worker-tree", decoded.times.tree);
  const raw = decoded.raw;
  const table = raw.strings;
  if (!Array.isArray(table) && "text" in table) raw.strings = { text: table.text + rest, ends: table.ends };
  const parts = decoded.first;
  return { raw, first: timed("oi:tree", () => treeFromParts(unpackTree(parts))) };
}

function show({ model, el }: Props, payload: RawPayload, since: number | undefined, first: Tree | null = null): () => void {
  let ui: GraphViewUI;
  try {
    const data = decodePayload(payload, since);
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
    ui = new GraphViewUI(el, data, host, first);
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
