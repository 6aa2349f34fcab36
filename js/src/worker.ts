// Web Worker entry: runs layout jobs off the main thread, and decodes the graph payload's wire form
// (offthread.ts: the first part, with the group tree; or the second part, the rest of the strings).
// Bundled to a string and started from a Blob URL, so it needs no extra file fetch inside JupyterLab.

import { type LayoutJob, runLayout } from "./layout";
import { decodeHere } from "./offthread";
import { inflateText } from "./payload";

type Request = { id: number; jobs: LayoutJob[] } | { id: number; bytes: Uint8Array; decode?: true; text?: true };

self.onmessage = (ev: MessageEvent<Request>) => {
  const req = ev.data;
  const post = (msg: unknown, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);
  if ("bytes" in req) {
    const fail = (err: unknown) => post({ id: req.id, error: String(err) });
    if (req.decode) decodeHere(req.bytes).then(({ out, transfer }) => post({ id: req.id, decoded: out }, transfer), fail);
    else inflateText(req.bytes).then((text) => post({ id: req.id, text }), fail);
    return;
  }
  try {
    post({ id: req.id, results: req.jobs.map(runLayout) });
  } catch (err) {
    post({ id: req.id, error: String(err) });
  }
};
