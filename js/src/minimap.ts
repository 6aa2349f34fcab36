// The graph view's minimap: an overview of the placed graph (boxes as small rectangles) with the
// part in view outlined; shown when the graph is not all in view; click or drag to move the view.

import { el } from "./dom";
import type { Tree } from "./groups";
import type { Placement } from "./place";
import type { Visible } from "./visible";

/** Largest minimap, px, and its distance from the canvas's bottom-left corner. */
const MINIMAP_W = 150;
const MINIMAP_H = 110;
export const MINIMAP_INSET = 8;

/** Size of the minimap of a gw x gh graph (its aspect ratio, within MINIMAP_W x MINIMAP_H). */
export function minimapSize(gw: number, gh: number): { w: number; h: number; s: number } {
  const s = Math.min(MINIMAP_W / Math.max(1, gw), MINIMAP_H / Math.max(1, gh));
  return { w: Math.max(24, Math.round(gw * s)), h: Math.max(24, Math.round(gh * s)), s };
}

/** The canvas size and view transform the minimap outlines. */
export interface ViewBox {
  W: number;
  H: number;
  tx: number;
  ty: number;
  k: number;
}

export class Minimap {
  readonly el: HTMLDivElement;
  private canvas: HTMLCanvasElement;
  private view: HTMLDivElement;
  private scale = 1;

  constructor(go: (gx: number, gy: number) => void) {
    this.el = el("div", "oi-minimap");
    this.el.hidden = true;
    this.el.title = "Overview: click or drag to move the view";
    this.canvas = el("canvas", "oi-minimap-canvas");
    this.view = el("div", "oi-minimap-view");
    this.el.append(this.canvas, this.view);
    this.install(go);
  }

  /** Draw the overview of the placed graph (boxes as small rectangles); shown when it is not all in view. */
  draw(p: Placement | null, v: Visible | null, t: Tree, root: HTMLElement, view: ViewBox): void {
    if (!p || !v) return;
    const { w, h, s } = minimapSize(p.width, p.height);
    this.scale = s;
    const c = this.canvas;
    const dpr = typeof devicePixelRatio === "number" ? Math.min(2, devicePixelRatio) : 1;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
    const ctx = c.getContext?.("2d");
    if (!ctx) return;
    const css = getComputedStyle(root);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = css.getPropertyValue("--oi-border2").trim() || "#e0e0e0";
    ctx.lineWidth = 1;
    for (const g of v.frames) {
      const r = p.rect.get(t.nItems + g);
      if (r) ctx.strokeRect(r.x * s + 0.5, r.y * s + 0.5, Math.max(1, r.w * s - 1), Math.max(1, r.h * s - 1));
    }
    ctx.fillStyle = css.getPropertyValue("--oi-fg2").trim() || "#888888";
    for (const b of v.boxes) {
      const r = p.rect.get(b);
      if (r) ctx.fillRect(r.x * s, r.y * s, Math.max(1, r.w * s), Math.max(1, r.h * s));
    }
    this.update(p, view);
  }

  /** Move the minimap's view rectangle; hide the minimap when the whole graph is in view. */
  update(p: Placement | null, view: ViewBox): void {
    if (!p) return;
    const { W, H, tx, ty, k } = view;
    const x0 = -tx / k;
    const y0 = -ty / k;
    const x1 = x0 + W / k;
    const y1 = y0 + H / k;
    const all = x0 <= 0.5 && y0 <= 0.5 && x1 >= p.width - 0.5 && y1 >= p.height - 0.5;
    this.el.hidden = all || W === 0;
    if (this.el.hidden) return;
    const s = this.scale;
    const mw = p.width * s;
    const mh = p.height * s;
    const cx = (a: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, a));
    const left = cx(x0 * s, 0, mw);
    const top = cx(y0 * s, 0, mh);
    const st = this.view.style;
    st.left = `${left}px`;
    st.top = `${top}px`;
    st.width = `${Math.max(2, cx(x1 * s, 0, mw) - left)}px`;
    st.height = `${Math.max(2, cx(y1 * s, 0, mh) - top)}px`;
  }

  /** Clicks and drags on the minimap call go(gx, gy) with the graph point under the pointer. */
  private install(go: (gx: number, gy: number) => void): void {
    let dragging = -1;
    const at = (ev: PointerEvent) => {
      const r = this.canvas.getBoundingClientRect();
      go((ev.clientX - r.left) / this.scale, (ev.clientY - r.top) / this.scale);
    };
    this.el.addEventListener("pointerdown", (ev) => {
      ev.stopPropagation();
      dragging = ev.pointerId;
      this.el.setPointerCapture?.(ev.pointerId);
      at(ev);
    });
    this.el.addEventListener("pointermove", (ev) => {
      if (dragging === ev.pointerId) at(ev);
    });
    const end = (ev: PointerEvent) => {
      if (dragging === ev.pointerId) dragging = -1;
    };
    this.el.addEventListener("pointerup", end);
    this.el.addEventListener("pointercancel", end);
    this.el.addEventListener("wheel", (ev) => ev.stopPropagation());
  }
}
