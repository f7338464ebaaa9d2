// Device test runner: runs the device tests (test modules under tests/ that carry the marker line
// below) inside the real MicroPython interpreter (the official WebAssembly port).
// SPDX-License-Identifier: MIT
//
// Usage: node tests/runner/mpy.mjs [--heap 512k] [tests/firmware/test_x.py ...]
// Each test module gets a fresh interpreter, in a Node process of its own, whose file system holds
// the device tree under /hadir.
// A module may ship `<module>.bridge.mjs` next to it exporting `register(mp, ctx)` to give its tests
// host services (for instance an HTTP client reaching a collector on localhost).
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const ROOT = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "../..");
// What a terminal holds, the simulators and the test kit (tests/runner/tree.json, which
// tests/runner/unix.py reads too); the device test modules themselves are added per run.
const TREE = JSON.parse(fs.readFileSync(path.join(ROOT, "tests/runner/tree.json"), "utf8")).tree;
// A test module joins the device suite by carrying this line.
export const MARKER = "# device test: runs on MicroPython too (tests/runner/mpy.mjs)";

function parseHeap(text) {
  const m = /^(\d+)([km]?)$/i.exec(text);
  if (!m) throw new Error(`bad heap size: ${text}`);
  return Number(m[1]) * { "": 1, k: 1024, m: 1048576 }[m[2].toLowerCase()];
}

function* walk(rel) {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return;
  if (fs.statSync(abs).isFile()) {
    yield rel;
    return;
  }
  for (const name of fs.readdirSync(abs).sort()) {
    if (name === "__pycache__" || name.startsWith(".")) continue;
    yield* walk(path.join(rel, name));
  }
}

function copyTree(FS, extra) {
  for (const rel of [...TREE, ...extra]) {
    for (const file of walk(rel)) {
      const dest = "/hadir/" + file;
      let dir = "";
      for (const part of path.dirname(dest).split("/").filter(Boolean)) {
        dir += "/" + part;
        try { FS.mkdir(dir); } catch { /* exists */ }
      }
      FS.writeFile(dest, fs.readFileSync(path.join(ROOT, file)));
    }
  }
}

async function runModule(file, heap, showBanner) {
  const lines = [];
  const out = (line) => { lines.push(line); console.log(line); };
  const mp = await loadMicroPython({ heapsize: heap, stdout: out, stderr: out, linebuffer: true });
  const rel = path.relative(ROOT, file);
  copyTree(mp.FS, [rel]);
  const bridge = file.replace(/\.py$/, ".bridge.mjs");
  let ctx = {};
  if (fs.existsSync(bridge)) {
    const mod = await import(url.pathToFileURL(bridge).href);
    ctx = (await mod.register(mp)) || {};
  }
  const harness = fs.readFileSync(path.join(ROOT, "tests/runner/harness.py"), "utf8");
  const module = path.basename(file, ".py");
  mp.globals.set("MODULE", module);
  mp.globals.set("MODULE_DIR", "/hadir/" + path.dirname(rel));
  mp.globals.set("TREE", "/hadir");
  mp.globals.set("SHOW_BANNER", showBanner);
  try {
    await mp.runPythonAsync(harness + "\nawait main()\n");
  } catch (err) {
    out(`ERROR ${module}: interpreter: ${err.message}`);
    return { passed: 0, failed: 1 };
  } finally {
    if (ctx.close) await ctx.close();
  }
  const summary = lines.map((l) => /^MODULE-RESULT (\d+) (\d+)$/.exec(l)).filter(Boolean).pop();
  if (!summary) return { passed: 0, failed: 1 };
  return { passed: Number(summary[1]), failed: Number(summary[2]) };
}

// A module runs in a Node process of its own: the port keeps its instance in globalThis.Module,
// so a timer one module's asyncio left behind would otherwise fire into the next interpreter
// (seen as "memory access out of bounds" after test_terminal_e2e).
function runInChild(file, heapText, showBanner) {
  const args = [url.fileURLToPath(import.meta.url), "--heap", heapText, "--child", file];
  if (showBanner) args.push("--banner");
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"],
                                                maxBuffer: 256 * 1048576 });
  const text = r.stdout ? r.stdout.toString() : "";
  process.stdout.write(text);
  const m = [...text.matchAll(/^MODULE-RESULT (\d+) (\d+)$/gm)].pop();
  const passed = m ? Number(m[1]) : 0;
  const failed = m ? Number(m[2]) : 0;
  if (!m || (r.status !== 0 && failed === 0)) {  // the interpreter died, not a test
    console.log(`ERROR ${path.basename(file, ".py")}: interpreter exited with ${r.status ?? r.signal}`);
    return { passed, failed: failed + 1 };
  }
  return { passed, failed };
}

async function main() {
  const args = process.argv.slice(2);
  let heapText = "512k";
  let child = null;
  let banner = false;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--heap") heapText = args[++i];
    else if (args[i] === "--child") child = path.resolve(args[++i]);
    else if (args[i] === "--banner") banner = true;
    else files.push(path.resolve(args[i]));
  }
  const heap = parseHeap(heapText);
  if (child) {
    const r = await runModule(child, heap, banner);
    // Exit once stdout has drained (a plain exit could cut a long module's last lines), without
    // waiting for timers the module's asyncio may have left behind.
    process.stdout.write("", () => process.exit(r.failed > 0 ? 1 : 0));
    return;
  }
  if (files.length === 0) {
    for (const rel of walk("tests")) {
      if (/(^|\/)test_[^/]*\.py$/.test(rel) && fs.readFileSync(path.join(ROOT, rel), "utf8")
        .split("\n").includes(MARKER)) files.push(path.join(ROOT, rel));
    }
  }
  let passed = 0;
  let failed = 0;
  for (const [i, file] of files.entries()) {
    const r = runInChild(file, heapText, i === 0);
    passed += r.passed;
    failed += r.failed;
  }
  console.log("device suite on MicroPython (WebAssembly port):");
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

await main();
