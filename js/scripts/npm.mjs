// npm, run by the node that runs this script, with `install` replaced by `npm ci`: the Python build
// hook (js/scripts/node_build.py) calls `<node> scripts/npm.mjs install` then `... run build`; this makes
// the install step a clean, lockfile-exact `npm ci` that runs no
// dependency's install scripts. Any other arguments go to npm unchanged.
// The npm that ships beside this node is used (node's own prefix: bin/node -> lib/node_modules/npm), so
// the Node.js taken from the Python package index at build time needs nothing on PATH.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

const args = process.argv.slice(2);
// --ignore-scripts: no dependency needs an install script (esbuild finds its binary without one).
if (args[0] === "install") args.splice(0, 1, "ci", "--ignore-scripts");
const bin = dirname(process.execPath);
const cli = [
  join(bin, "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"), // Unix layout
  join(bin, "node_modules", "npm", "bin", "npm-cli.js"), // Windows layout
].find(existsSync);
// Scripts that npm runs (`node scripts/build.mjs`) find this same node first.
const env = { ...process.env, PATH: bin + delimiter + (process.env.PATH ?? "") };
const r = cli
  ? spawnSync(process.execPath, [cli, ...args], { stdio: "inherit", env })
  : spawnSync("npm", args, { stdio: "inherit", env, shell: process.platform === "win32" });
process.exit(r.status ?? 1);
