// Overlay colour scales: numeric values on a perceptual sequential scale (viridis), categories on
// a qualitative palette; plus text contrast and aggregation onto collapsed groups. Pure logic.

export interface Overlay {
  values: Record<string, number | string | null>;
  label?: string;
  kind?: "numeric" | "categorical";
  /** numeric only: "linear" (default) or "log" */
  scale?: "linear" | "log";
  /** numeric only: how a collapsed group combines its nodes: "sum" (default), "max", "mean" */
  aggregate?: "sum" | "max" | "mean";
  unit?: string;
}

const VIRIDIS = [
  "#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
];

/** Tableau 10: readable on light and dark backgrounds. */
export const CATEGORICAL = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];

function hexToRgb(h: string): [number, number, number] {
  const v = parseInt(h.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function rgbToHex(r: number, g: number, b: number): string {
  const c = (x: number) => Math.round(Math.min(255, Math.max(0, x))).toString(16).padStart(2, "0");
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** Colour at position t in [0, 1] on the viridis scale. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(VIRIDIS[i]);
  const b = hexToRgb(VIRIDIS[i + 1]);
  return rgbToHex(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f);
}

/** CSS gradient matching viridis, for the legend. */
export function viridisGradient(): string {
  return `linear-gradient(to right, ${VIRIDIS.join(", ")})`;
}

/** Black or white, whichever reads better on the given fill. */
export function textColorFor(hex: string): string {
  const [r, g, b] = hexToRgb(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.22 ? "#111111" : "#ffffff";
}

export interface NumericScale {
  min: number;
  max: number;
  log: boolean;
  color(v: number): string;
}

/** A scale over finite values; "log" only applies when all values are > 0. */
export function numericScale(values: number[], scale: "linear" | "log" = "linear"): NumericScale {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) {
    min = 0;
    max = 0;
  }
  const log = scale === "log" && min > 0;
  const f = (v: number) => (log ? Math.log(v) : v);
  const lo = f(min);
  const hi = f(max);
  return {
    min,
    max,
    log,
    color(v: number): string {
      if (!Number.isFinite(v) || (log && v <= 0)) return viridis(0);
      return viridis(hi > lo ? (f(v) - lo) / (hi - lo) : 1);
    },
  };
}

export interface CategoricalScale {
  categories: string[];
  color(v: string): string;
}

/** Categories in order of first appearance, each with a palette colour (cycling after 10). */
export function categoricalScale(values: Iterable<string>): CategoricalScale {
  const index = new Map<string, number>();
  for (const v of values) if (!index.has(v)) index.set(v, index.size);
  return {
    categories: [...index.keys()],
    color(v: string): string {
      const i = index.get(v);
      return i === undefined ? "#999999" : CATEGORICAL[i % CATEGORICAL.length];
    },
  };
}

/** Whether an overlay is numeric: explicit kind, else every value is a number. */
export function isNumeric(o: Overlay): boolean {
  if (o.kind) return o.kind === "numeric";
  return Object.values(o.values).every((v) => v === null || typeof v === "number");
}

/** Combine numeric node values for a collapsed group. */
export function aggregate(values: number[], how: "sum" | "max" | "mean" = "sum"): number {
  if (values.length === 0) return NaN;
  if (how === "max") {
    let m = -Infinity;
    for (const v of values) if (v > m) m = v;
    return m;
  }
  const s = values.reduce((a, b) => a + b, 0);
  return how === "mean" ? s / values.length : s;
}

/** Short number for labels: 3 significant digits, k/M suffixes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a === 0) return "0";
  if (a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}
