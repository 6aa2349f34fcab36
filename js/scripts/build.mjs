// Build the graph view: src/index.ts -> ../onnx_inspect/static/graphview.js (ES module that
// anywidget loads as _esm) and src/style.css -> ../onnx_inspect/static/graphview.css; the details
// widget (src/details-widget.ts -> details.js, details.css) and the report page (src/report.ts ->
// report.js, src/report.css -> report.css, src/report.html copied: the page template reporting.py fills).
// The layout worker (src/worker.ts) is bundled first and inlined as a string, so the widget
// starts it from a Blob URL without fetching any file.
// It also writes static/vendor/: the pinned widget-manager scripts an exported notebook inlines
// (scripts/vendor.mjs).
// `node scripts/build.mjs --tests` bundles tests/*.test.ts into build/tests/ for `node --test`.

import { copyFileSync, readdirSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { vendorWidgetManager } from "./vendor.mjs";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(here, "..", "onnx_inspect", "static");
const tests = process.argv.includes("--tests");

async function workerSource() {
  const r = await esbuild.build({
    entryPoints: [join(here, "src", "worker.ts")],
    bundle: true,
    format: "iife",
    minify: true,
    write: false,
    target: "es2020",
    legalComments: "none",
  });
  return r.outputFiles[0].text;
}

function workerPlugin(source) {
  return {
    name: "layout-worker",
    setup(build) {
      build.onResolve({ filter: /^virtual:layout-worker$/ }, (args) => ({ path: args.path, namespace: "oi-worker" }));
      build.onLoad({ filter: /.*/, namespace: "oi-worker" }, () => ({
        contents: `export default ${JSON.stringify(source)};`,
        loader: "js",
      }));
    },
  };
}

const source = await workerSource();

if (tests) {
  const dir = join(here, "build", "tests"); // ignored by git (build/); not in node_modules, which node --test skips
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entries = readdirSync(join(here, "tests"))
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => join(here, "tests", f));
  await esbuild.build({
    entryPoints: entries,
    bundle: true,
    format: "esm",
    platform: "node",
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    target: "node20",
    plugins: [workerPlugin(source)],
    logLevel: "warning",
  });
} else {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(here, "src", "index.ts")],
    bundle: true,
    format: "esm",
    minify: !process.env.OI_NO_MINIFY,
    sourcemap: false,
    target: "es2020",
    outfile: join(outDir, "graphview.js"),
    plugins: [workerPlugin(source)],
    legalComments: "eof",
    logLevel: "warning",
  });
  // the Inspector's details panel (DetailsView) and the report page: both draw with src/details.ts
  for (const [entry, out] of [["details-widget.ts", "details.js"], ["report.ts", "report.js"]]) {
    await esbuild.build({
      entryPoints: [join(here, "src", entry)],
      bundle: true,
      format: "esm",
      minify: !process.env.OI_NO_MINIFY,
      sourcemap: false,
      target: "es2020",
      outfile: join(outDir, out),
      plugins: [workerPlugin(source)],
      legalComments: "eof",
      logLevel: "warning",
    });
  }
  for (const [entry, out] of [["style.css", "graphview.css"], ["details.css", "details.css"], ["report.css", "report.css"]]) {
    await esbuild.build({
      entryPoints: [join(here, "src", entry)],
      bundle: true,
      minify: true,
      outfile: join(outDir, out),
      logLevel: "warning",
    });
  }
  copyFileSync(join(here, "src", "report.html"), join(outDir, "report.html"));
  vendorWidgetManager(here, outDir);
  console.log(`built ${outDir}: graphview.js/.css, details.js/.css, report.js/.css/.html and the widget-manager scripts`);
}
