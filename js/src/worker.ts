// Web Worker entry: runs layout jobs off the main thread. Bundled to a string and started from a
// Blob URL, so it needs no extra file fetch inside JupyterLab.

import { type LayoutJob, runLayout } from "./layout";

self.onmessage = (ev: MessageEvent<{ id: number; jobs: LayoutJob[] }>) => {
  const { id, jobs } = ev.data;
  try {
    const results = jobs.map(runLayout);
    (self as unknown as Worker).postMessage({ id, results });
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: String(err) });
  }
};
