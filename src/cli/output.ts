/**
 * Writing to the terminal: buffered stdout that respects back-pressure (so `generate --count
 * 1000000 | gzip` keeps memory flat), stderr for people, and a quiet exit when a reader such as
 * `head` closes the pipe.
 */
import type { Writable } from "node:stream";

export interface Writer {
  /** Queue text; returns a promise only when the stream asks us to wait (never with `limit`). */
  write(text: string): Promise<void> | undefined;
  /**
   * Write everything queued and wait until the stream has taken it; with `timeoutMs`, stop
   * waiting then and leave out what is still held. Resolves to the lines left out (0 when all
   * went).
   */
  flush(timeoutMs?: number): Promise<number>;
  /** Lines left out because the stream was slower than `limit` allows. */
  dropped(): number;
}

export interface WriterOptions {
  /**
   * Hold at most this many characters while the stream is slow; a text that would go beyond is
   * left out and counted, and `write` never asks the caller to wait. For a producer that cannot
   * slow down (a listener answering requests as they come): without it, a slow reader makes the
   * backlog grow with every request.
   */
  limit?: number;
  /** Called once, at the first text left out. */
  onFirstDrop?: () => void;
}

const CHUNK = 64 * 1024;

/**
 * Buffered output: text is gathered and written in chunks (fast under load), and whatever is
 * waiting goes out on the next turn of the event loop (so a quiet stream is never held back).
 * While the stream is full, text waits here (not in the stream), and goes once it drains.
 */
export function createWriter(
  stream: Writable = process.stdout,
  options: WriterOptions = {},
): Writer {
  const { limit, onFirstDrop } = options;
  let buffer = "";
  let scheduled = false;
  let dropped = 0;
  // One wait for the stream to drain, shared by every writer that arrives meanwhile (many
  // requests at once, each with its line): one set of listeners, however many wait.
  let draining: Promise<void> | undefined;
  // The stream is handed at most a chunk at a time, cut after a line: whatever it holds must go
  // to the reader before the process can exit, so a slow reader's backlog stays here, where
  // `limit` and `flush`'s timeout bound it, not in the stream.
  const take = (): string => {
    let end = buffer.length;
    if (end > CHUNK) {
      end = buffer.lastIndexOf("\n", CHUNK - 1) + 1 || buffer.indexOf("\n", CHUNK) + 1 || end;
    }
    const chunk = buffer.slice(0, end);
    buffer = buffer.slice(end);
    return chunk;
  };
  const push = (): Promise<void> | undefined => {
    scheduled = false;
    if (draining) return draining;
    for (;;) {
      if (buffer === "" || stream.destroyed) {
        buffer = "";
        return undefined;
      }
      if (!stream.write(take())) break;
    }
    draining = new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        draining = undefined;
        // What arrived meanwhile goes now (the next wait, if any, is shared again).
        if (buffer !== "") void push();
        resolve();
      };
      stream.once("drain", done);
      stream.once("close", done);
      stream.once("error", done);
    });
    return draining;
  };
  return {
    write(text) {
      if (limit !== undefined && draining && buffer.length + text.length > limit) {
        dropped++;
        if (dropped === 1) onFirstDrop?.();
        return undefined;
      }
      buffer += text;
      if (draining) return limit === undefined ? draining : undefined;
      if (buffer.length >= CHUNK) {
        const wait = push();
        return limit === undefined ? wait : undefined;
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(push);
      }
      return undefined;
    },
    async flush(timeoutMs) {
      const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
      for (;;) {
        const wait = push();
        if (!wait) return 0;
        if (deadline === undefined) await wait;
        else {
          const left = deadline - performance.now();
          let timer: NodeJS.Timeout | undefined;
          const late = await Promise.race([
            wait.then(() => false),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(true), Math.max(0, left));
            }),
          ]);
          clearTimeout(timer);
          if (late) {
            // Given up: what is still held is left out (the caller says how many), so nothing
            // more goes to the stream and the process can end once it has taken what it holds.
            const left = lineCount(buffer);
            buffer = "";
            return left;
          }
        }
      }
    },
    dropped: () => dropped,
  };
}

function lineCount(text: string): number {
  let n = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) n++;
  return n;
}

const guarded = new WeakSet<NodeJS.WriteStream>();
/** What stops the running command when its reader goes (see `whenPipeCloses`). */
let onPipeClosed: (() => void) | undefined;
/** A reader went and the running command was told: later writes to it fail quietly. */
let pipeClosed = false;

/**
 * Exit quietly (status 0) when a reader such as `head` closes the pipe, unless the running
 * command does work that must end cleanly (see `whenPipeCloses`). Each stream is guarded when
 * first used: touching `process.stderr` early would set it up (and cost start-up time) even for
 * commands that never write to it.
 */
export function guardBrokenPipe(stream: NodeJS.WriteStream = process.stdout): NodeJS.WriteStream {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      if (pipeClosed) return;
      if (!onPipeClosed) process.exit(process.exitCode ?? 0);
      pipeClosed = true;
      onPipeClosed();
    });
  }
  return stream;
}

/**
 * While a command sends or records (send, resume, listen…): a reader that closes the pipe
 * (`send … | head -1`) stops it as Ctrl-C does, so what is pending is written to the store first
 * and the exit status says it was stopped, instead of exiting at once with 0. Returns the undo.
 */
export function whenPipeCloses(stop: () => void): () => void {
  onPipeClosed = stop;
  return () => {
    if (onPipeClosed === stop) onPipeClosed = undefined;
  };
}

/** A line to stderr (messages for people: banners, warnings, progress). */
export function say(text = ""): void {
  guardBrokenPipe(process.stderr).write(`${text}\n`);
}

/** A line to stdout (the command's result). */
export function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}
