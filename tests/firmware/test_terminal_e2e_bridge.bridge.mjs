// Host services for test_terminal_e2e.py under MicroPython: a real collector (sync/, SQLite,
// uvicorn on 127.0.0.1, a free port) and an HTTP bridge to it. SPDX-License-Identifier: MIT
//
// Python sees module `hadir_e2e`: start() -> Promise of JSON {url, bundle}; post(url, hex, timeout_ms) ->
// Promise of JSON {status, hex} ({status: -1} on a network error); records(tid) -> Promise of JSON.
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import url from "node:url";

const ROOT = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "../..");

function post(target, hex, timeoutMs) {
  return new Promise((resolve) => {
    const body = Buffer.from(hex, "hex");
    const req = http.request(target, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream", "content-length": body.length,
        connection: "close",
      },
      agent: false, // one connection per request, like firmware/httpclient.py: nothing lingers
      timeout: timeoutMs,
    }, (res) => {
      const parts = [];
      res.on("data", (c) => parts.push(c));
      res.on("end", () => resolve(JSON.stringify({
        status: res.statusCode, hex: Buffer.concat(parts).toString("hex"),
      })));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve(JSON.stringify({ status: -1, error: String(e) })));
    req.end(body);
  });
}

export function register(mp) {
  // Nothing waits here: the runner's interpreter must start at once. The collector starts when
  // the test awaits start().
  let child = null;
  let lines = null;
  let queue = Promise.resolve();
  const start = () => {
    queue = queue.then(async () => {
      child = spawn(path.join(ROOT, ".venv/bin/python"), ["-m", "tests.kit.liveserver", "e2e"], {
        cwd: ROOT, stdio: ["pipe", "pipe", "inherit"],
      });
      lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = await lines.next();
      if (first.done) throw new Error("collector did not start");
      return first.value;
    });
    return queue;
  };
  const records = (tid) => {
    queue = queue.then(async () => {
      child.stdin.write(`records ${tid}\n`);
      return (await lines.next()).value;
    });
    return queue;
  };
  mp.registerJsModule("hadir_e2e", { start, post, records });
  return {
    close: () => new Promise((resolve) => {
      if (child === null || child.exitCode !== null) return resolve();
      child.on("exit", resolve);
      child.stdin.end();
    }),
  };
}
