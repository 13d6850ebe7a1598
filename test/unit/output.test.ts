// Buffered output under back-pressure: many writers waiting on a slow stream share one wait
// (stdout to a pipe is asynchronous: `listen --json | slow-reader` with 32 senders at once), text
// waits in the writer while the stream is full, and with a limit the backlog stays bounded.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createWriter } from "../../src/cli/output.js";

describe("createWriter", () => {
  it("waits for a slow stream once, however many writers arrive meanwhile, and loses nothing", async () => {
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString());
        setTimeout(callback, 5);
      },
    });
    const out = createWriter(slow);
    const line = `${"x".repeat(70 * 1024)}\n`;
    const waits: Promise<void>[] = [];
    let most = 0;
    for (let i = 0; i < 20; i++) {
      const wait = out.write(line);
      if (wait) waits.push(wait);
      most = Math.max(most, slow.listenerCount("drain"));
    }
    expect(waits.length).toBe(20);
    expect(most).toBe(1);
    await Promise.all(waits);
    await out.flush();
    expect(received.join("")).toBe(line.repeat(20));
    expect(slow.listenerCount("drain")).toBe(0);
  });

  it("holds text while the stream is full instead of handing it on, and writes it in order once it drains", async () => {
    const received: string[] = [];
    let release: (() => void) | undefined;
    const stuck = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString());
        release = callback;
      },
    });
    const out = createWriter(stuck);
    out.write(`${"a".repeat(70 * 1024)}\n`);
    for (let i = 0; i < 100; i++) out.write(`line ${i}\n`);
    // The stream got the first chunk only: the rest waits here, not in the stream's buffer.
    expect(stuck.writableLength).toBe(70 * 1024 + 1);
    const flushed = out.flush();
    release?.();
    await new Promise((resolve) => setImmediate(resolve));
    release?.();
    await flushed;
    expect(received.join("")).toBe(
      `${"a".repeat(70 * 1024)}\n${Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join("")}`,
    );
  });

  it("with a limit: never asks the caller to wait, leaves out what goes beyond (counted, said once), and flush gives up after its timeout", async () => {
    let release: (() => void) | undefined;
    let flowing = false;
    const received: string[] = [];
    const stuck = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString());
        if (flowing) setImmediate(callback);
        else release = callback;
      },
    });
    let warned = 0;
    const out = createWriter(stuck, { limit: 1000, onFirstDrop: () => warned++ });
    const line = `${"x".repeat(99)}\n`;
    const waits = [];
    for (let i = 0; i < 700; i++) waits.push(out.write(line));
    expect(waits.every((w) => w === undefined)).toBe(true);
    // The first 64 KiB went to the stream (it takes one chunk), then 10 lines fit the limit.
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 700; i++) out.write(line);
    const kept = 10;
    expect(out.dropped()).toBeGreaterThan(0);
    expect(warned).toBe(1);
    // Still stuck: flush stops waiting after its timeout and says how many lines are unwritten.
    const started = performance.now();
    expect(await out.flush(50)).toBe(kept);
    expect(performance.now() - started).toBeLessThan(1000);
    // What the timed-out flush left out never goes (the process can end once the stream has
    // taken what it holds); every line is either written or counted, once.
    flowing = true;
    release?.();
    expect(await out.flush()).toBe(0);
    const total = received.join("").length / line.length;
    expect(total + out.dropped() + kept).toBe(1400);
    out.write(line);
    expect(await out.flush()).toBe(0);
    expect(received.join("").length / line.length).toBe(total + 1);
  });

  it("hands the stream at most a chunk at a time, cut after a line, so a slow reader's backlog stays in the writer", async () => {
    const chunks: string[] = [];
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        setImmediate(callback);
      },
    });
    const out = createWriter(slow);
    const line = `${"é".repeat(499)}\n`;
    for (let i = 0; i < 2000; i++) out.write(line);
    await out.flush();
    expect(chunks.join("")).toBe(line.repeat(2000));
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(64 * 1024);
      expect(chunk.endsWith("\n")).toBe(true);
    }
  });
});
