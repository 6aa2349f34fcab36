// Web Worker entry: runs layout jobs off the main thread, and decodes the graph payload's wire form
// (offthread.ts). Bundled to a string and started from a Blob URL, so it needs no extra file fetch
// inside JupyterLab.

import { type LayoutJob, runLayout } from "./layout";
import { decodeHere } from "./offthread";

type Request = { id: number; jobs: LayoutJob[] } | { id: number; decode: Uint8Array };

self.onmessage = (ev: MessageEvent<Request>) => {
  const req = ev.data;
  const post = (msg: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);
  if ("decode" in req) {
    decodeHere(req.decode).then(
      ({ out, transfer }) => post({ id: req.id, decoded: out }, transfer),
      (err) => post({ id: req.id, error: String(err) }),
    );
    return;
  }
  try {
    post({ id: req.id, results: req.jobs.map(runLayout) });
  } catch (err) {
    post({ id: req.id, error: String(err) });
  }
};
