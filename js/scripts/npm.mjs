// npm, with `install` replaced by `npm ci`: the Python build hook (hatch-jupyter-builder's
// npm_builder) calls `<npm> install` then `<npm> run build`; this makes the install step a clean,
// lockfile-exact `npm ci`. Any other arguments go to npm unchanged.

import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
if (args[0] === "install") args[0] = "ci";
const r = spawnSync("npm", args, { stdio: "inherit", shell: process.platform === "win32" });
process.exit(r.status ?? 1);
