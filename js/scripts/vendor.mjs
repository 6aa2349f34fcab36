// The scripts an exported notebook inlines so it renders its widgets offline (onnx_inspect/export.py):
// require.js, the widget manager @jupyter-widgets/html-manager's embed-amd.js, and anywidget's AMD module.
// Each package is pinned by version and sha512 integrity in package.json's "oiVendor". Only the package's
// own tarball is fetched (`npm pack`, through npm's cache, proxy and CA settings), checked against that
// integrity and read without installing its dependency tree (that tree is ~130 MB the page never uses).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";

// What each pinned package contributes: its file -> our file (in static/vendor/), with an optional edit.
const FILES = {
  requirejs: [["require.js", "require.js"]],
  "@jupyter-widgets/html-manager": [["dist/embed-amd.js", "embed-amd.js"]],
  anywidget: [["dist/index.js", "anywidget.js", nameAnywidget]],
};

// anywidget's dist is one anonymous AMD module; inline in a page it must carry its name.
function nameAnywidget(text) {
  const anon = 'define(["@jupyter-widgets/base"],';
  if (text.split(anon).length !== 2) throw new Error(`anywidget/dist/index.js: expected one ${anon}`);
  return "(function () {\n" + text.replace(anon, 'define("anywidget", ["@jupyter-widgets/base"],') + "\n})();\n";
}

function npmCli() {
  if (process.env.npm_execpath && existsSync(process.env.npm_execpath)) return process.env.npm_execpath;
  const bin = dirname(process.execPath);
  const found = [
    join(bin, "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    join(bin, "node_modules", "npm", "bin", "npm-cli.js"),
  ].find(existsSync);
  if (!found) throw new Error(`no npm found beside ${process.execPath}`);
  return found;
}

// Files of a .tgz (ustar, as npm writes them) as {path: Buffer}, paths without the "package/" prefix.
function untar(tgz) {
  const tar = gunzipSync(tgz);
  const out = {};
  const str = (b, s, n) => b.toString("utf8", s, s + n).replace(/\0.*$/s, "");
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = parseInt(str(h, 124, 12).trim() || "0", 8);
    const prefix = str(h, 345, 155);
    const name = (prefix ? prefix + "/" : "") + str(h, 0, 100);
    const type = String.fromCharCode(h[156] || 48);
    if (type === "0") out[name.replace(/^[^/]+\//, "")] = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export function vendorWidgetManager(jsDir, outDir) {
  const pins = JSON.parse(readFileSync(join(jsDir, "package.json"), "utf8")).oiVendor;
  const dir = join(outDir, "vendor");
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "oi-vendor-"));
  try {
    const specs = Object.entries(pins).map(([name, pin]) => `${name}@${pin.version}`);
    const r = spawnSync(process.execPath, [npmCli(), "pack", ...specs, "--pack-destination", tmp, "--json"], {
      cwd: tmp,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (r.status !== 0) throw new Error(`npm pack ${specs.join(" ")} failed (${r.status})`);
    const packed = JSON.parse(r.stdout);
    for (const [name, pin] of Object.entries(pins)) {
      const entry = packed.find((e) => e.name === name && e.version === pin.version);
      if (!entry) throw new Error(`npm pack did not return ${name}@${pin.version}`);
      const tgz = readFileSync(join(tmp, entry.filename));
      const integrity = "sha512-" + createHash("sha512").update(tgz).digest("base64");
      if (integrity !== pin.integrity) {
        throw new Error(`${name}@${pin.version}: integrity ${integrity} is not the pinned ${pin.integrity}`);
      }
      const files = untar(tgz);
      for (const [from, to, edit] of FILES[name]) {
        if (!files[from]) throw new Error(`${name}@${pin.version} has no ${from}`);
        const text = files[from].toString("utf8");
        writeFileSync(join(dir, to), edit ? edit(text) : text);
      }
    }
    const versions = Object.fromEntries(Object.entries(pins).map(([n, p]) => [n, p.version]));
    writeFileSync(join(dir, "versions.json"), JSON.stringify(versions, null, 1) + "\n");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
