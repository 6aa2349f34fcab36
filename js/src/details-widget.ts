// anywidget entry point of the Inspector's DetailsView (onnx_inspect/widgets/details_view.py): renders
// the traits `node` (a NodeRecord or null), `weights` (WeightRecords) and `note` with details.ts, the
// same renderer a report uses. Clicks go back to Python as messages {kind, ...}.

import type { AnyModel } from "@anywidget/types";
import { type Hooks, type NodeRecord, type WeightRecord, h, renderNode, renderWeight } from "./details";

export { renderNode, renderWeight } from "./details";

/** DetailsView's synced traits (widgets/details_view.py). */
export interface DetailsTraits {
  node: NodeRecord | null;
  /** how many other nodes are selected */
  more: number;
  weights: WeightRecord[];
  note: string;
}

/** The widget model of a DetailsView. */
export type DetailsModel = AnyModel<DetailsTraits>;

/** Draw the widget's state into ``el`` (replacing what was there). */
export function draw(el: HTMLElement, model: DetailsModel, hooks: Hooks): void {
  el.replaceChildren();
  el.classList.add("oi-details-view");
  const note = model.get("note");
  if (note) el.appendChild(h("p", "oi-note", note));
  const node = model.get("node");
  if (node) renderNode(el.appendChild(h("div")), node, hooks, { more: model.get("more") ?? 0 });
  const weights = model.get("weights") ?? [];
  if (weights.length) {
    const box = el.appendChild(h("div", "oi-weights-list"));
    for (const w of weights) renderWeight(box, w);
  }
}

function render({ model, el }: { model: DetailsModel; el: HTMLElement }): () => void {
  const send = (content: Record<string, string>) => model.send?.(content);
  const hooks: Hooks = {
    select: (id) => send({ kind: "select", id }),
    showGraph: (path) => send({ kind: "show-graph", path }),
    showWeight: (id) => send({ kind: "show-weight", id }),
  };
  const redraw = () => draw(el, model, hooks);
  const events = ["change:node", "change:weights", "change:note", "change:more"];
  for (const ev of events) model.on(ev, redraw);
  redraw();
  return () => {
    for (const ev of events) model.off?.(ev, redraw);
  };
}

export default { render };
