// A picture of the first view for outputs read without a widget manager (GitHub, nbviewer, a reopened
// notebook without its kernel): once the graph is painted, its SVG, with the computed styles written
// inline (the page's CSS and theme variables are not there when the picture is shown), is sent to
// Python once (onnx_inspect/widgets/fallback.py sanitises it and adds it to the output as image/svg+xml).

const PROPS = [
  "fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity", "opacity",
  "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline", "visibility",
  "marker-end", "marker-start", "paint-order", "stroke-linejoin", "stroke-linecap",
];

/** The graph's SVG as it is on screen, standalone (styles inline, sized to the view); null if not drawn. */
export function graphSnapshot(root: Element): string | null {
  const svg = root.querySelector("svg.oi-svg") as SVGSVGElement | null;
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const w = Math.round(box.width);
  const h = Math.round(box.height);
  if (w < 10 || h < 10) return null;
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const from = svg.querySelectorAll("*");
  const to = clone.querySelectorAll("*");
  for (let i = 0; i < from.length; i++) {
    const cs = getComputedStyle(from[i]);
    const style = PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).filter((d) => !d.endsWith(":")).join(";");
    const el = to[i];
    el.removeAttribute("class");
    if (cs.display === "none") el.setAttribute("visibility", "hidden");
    el.setAttribute("style", style);
  }
  clone.removeAttribute("class");
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  clone.setAttribute("width", String(w));
  clone.setAttribute("height", String(h));
  clone.setAttribute("viewBox", `0 0 ${w} ${h}`);
  const bg = getComputedStyle(root).backgroundColor;
  const back = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  back.setAttribute("width", "100%");
  back.setAttribute("height", "100%");
  back.setAttribute("style", `fill:${bg && bg !== "rgba(0, 0, 0, 0)" ? bg : "#fff"}`);
  clone.insertBefore(back, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

/** Once the view in `el` is ready, send its picture with `send` (only if Python still wants one). */
export function sendSnapshotWhenReady(el: HTMLElement, wanted: () => boolean, send: (svg: string) => void): () => void {
  let done = false;
  const tryNow = (): boolean => {
    if (done) return true;
    const root = el.querySelector('.oi-graph[data-oi-state="ready"]');
    if (!root) return false;
    done = true;
    // two frames: the browser has laid out the painted SVG
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (!wanted()) return;
        try {
          const svg = graphSnapshot(root);
          if (svg) send(svg);
        } catch {
          // a page without a kernel (an exported notebook) cannot send; the picture is optional
        }
      }),
    );
    return true;
  };
  if (!wanted() || tryNow()) return () => {};
  const obs = new MutationObserver(() => {
    if (tryNow()) obs.disconnect();
  });
  obs.observe(el, { subtree: true, attributes: true, attributeFilter: ["data-oi-state"], childList: true });
  return () => obs.disconnect();
}
