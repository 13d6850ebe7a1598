// Buffered output under back-pressure: many writers waiting on a slow stream share one wait (on
// macOS, stdout to a pipe is asynchronous: `listen --json | slow-reader` with 32 senders at once).
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
});
