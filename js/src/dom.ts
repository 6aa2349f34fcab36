// DOM helpers of the graph view: elements with classes, SVG elements, buttons, after-paint callbacks.
// Model text only ever goes in through textContent and setAttribute.

export const SVG = "http://www.w3.org/2000/svg";

/** An HTML element with a class (and text, set as textContent). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** An SVG element with attributes. */
export function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A toolbar button: text, tooltip and accessible label. */
export function button(cls: string, text: string, title: string): HTMLButtonElement {
  const b = el("button", `oi-btn ${cls}`, text);
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  return b;
}


/** Run cb once the next frame has been produced (or after 500 ms where frames are not produced). */
export function afterPaint(cb: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    cb();
  };
  if (typeof requestAnimationFrame !== "undefined") requestAnimationFrame(() => setTimeout(once, 0));
  setTimeout(once, 500);
}
