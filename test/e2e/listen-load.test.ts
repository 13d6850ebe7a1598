/**
 * A hostile flood must not stall `listen` (the built CLI, with its store): a valid event is
 * answered in under a second while 100 deeply nested 1 MiB bodies arrive (it took 8.6 s and more
 * before), and 300 concurrent maximum-size bodies keep memory under the documented bound (peaked
 * at 1.9 GB before). The flood comes from another process, as it would from the network.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type ListenProcess, startListen } from "../helpers/listen.js";

let listen: ListenProcess | undefined;
afterEach(async () => {
  await listen?.stop();
  listen = undefined;
});

/** A child process that posts `count` bodies of one kind at once and prints their statuses. */
function flood(url: string, kind: "nested" | "large", count: number) {
  const source = `
const { request } = require("node:http");
const [url, kind, count] = process.argv.slice(1);
const MiB = 1024 * 1024;
const body = kind === "nested"
  ? Buffer.from("[".repeat(MiB / 2) + "]".repeat(MiB / 2))
  : Buffer.from(JSON.stringify({ ClientId: 1, ApplicationId: 1, OrderId: 1, OrderNo: "x".repeat(MiB - 120), ClientOrderRef: "r", Source: "WEB" }));
let left = Number(count); const statuses = {};
for (let i = 0; i < Number(count); i++) {
  const req = request(url, { method: "POST", agent: false, headers: {
    "content-type": "application/json", "content-length": body.length,
    "norce-event-message-id": "00000000-0000-4000-8000-" + String(i).padStart(12, "0"),
    "norce-event-type": "OrderConfirmedEvent", "norce-event-timestamp": "2025-11-16T07:32:28.326837+01:00" } },
    (res) => { res.resume(); res.on("end", () => done(res.statusCode)); });
  req.on("error", (e) => done(e.code));
  req.end(body);
}
function done(status) { statuses[status] = (statuses[status] || 0) + 1; if (--left === 0) console.log(JSON.stringify(statuses)); }
`;
  const child = spawn(process.execPath, ["-e", source, url, kind, String(count)]);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const done = new Promise<Record<string, number>>((resolve) =>
    child.on("close", () => resolve(out ? JSON.parse(out) : {})),
  );
  return { done };
}

function post(url: string, id: string): Promise<{ status: number; ms: number }> {
  const body = JSON.stringify({
    ClientId: 1001,
    ApplicationId: 1,
    OrderId: 2,
    OrderNo: "1",
    ClientOrderRef: "2",
    Source: "WEB",
  });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "norce-event-message-id": id,
          "norce-event-type": "OrderConfirmedEvent",
          "norce-event-timestamp": "2025-11-16T07:32:28.326837+01:00",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function rssMB(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : 0;
}

const linux = process.platform === "linux";

describe("listen under hostile load (built CLI, with its store)", () => {
  it("answers a valid event in under 1 s while 100 deeply nested 1 MiB bodies arrive; refuses them with a clear problem", async () => {
    listen = await startListen(["--no-body"]);
    const url = listen.url.replace("localhost", "127.0.0.1");
    await post(url, "11111111-1111-4111-8111-000000000000"); // warm: schemas compiled, store open
    const sent = flood(url, "nested", 100);
    const probes: number[] = [];
    for (let i = 1; i <= 8; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const answer = await post(url, `11111111-1111-4111-8111-00000000000${i}`);
      expect(answer.status).toBe(202);
      probes.push(answer.ms);
    }
    const statuses = await sent.done;
    expect(statuses).toEqual({ 400: 100 });
    expect(Math.max(...probes), `probe latencies ${probes.map(Math.round)}`).toBeLessThan(1000);
    await listen.waitFor(/→ 400/);
    expect(listen.stdout()).toMatch(
      /OrderConfirmedEvent {2}00000000 {2}\/receiver {2}→ 400 age [^\n]*✗ 1/,
    );
  }, 60_000);

  it.skipIf(!linux)(
    "300 concurrent maximum-size bodies: every one answered, memory under 400 MB",
    async () => {
      listen = await startListen(); // pretty output with bodies, as a user runs it
      const url = listen.url.replace("localhost", "127.0.0.1");
      let peak = rssMB(listen.child.pid!);
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, rssMB(listen!.child.pid!));
        } catch {
          // exited
        }
      }, 25);
      const statuses = await flood(url, "large", 300).done;
      clearInterval(sampler);
      const answered = Object.entries(statuses)
        .filter(([status]) => /^\d+$/.test(status))
        .reduce((sum, [, n]) => sum + n, 0);
      expect(answered, JSON.stringify(statuses)).toBe(300);
      // 202, or 503 (busy: retry later) for those that could not start within 4 s
      expect(Object.keys(statuses).every((s) => s === "202" || s === "503")).toBe(true);
      expect(statuses[202]).toBeGreaterThan(0);
      expect(peak, `peak RSS ${Math.round(peak)} MB`).toBeLessThan(400);
    },
    60_000,
  );
});
