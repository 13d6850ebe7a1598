/**
 * Writing to the terminal: buffered stdout that respects back-pressure (so `generate --count
 * 1000000 | gzip` keeps memory flat), stderr for people, and a quiet exit when a reader such as
 * `head` closes the pipe.
 */
import type { Writable } from "node:stream";

export interface Writer {
  /** Queue text; returns a promise only when the stream asks us to wait. */
  write(text: string): Promise<void> | undefined;
  /** Write everything queued and wait until the stream has taken it. */
  flush(): Promise<void>;
}

const CHUNK = 64 * 1024;

/**
 * Buffered output: text is gathered and written in chunks (fast under load), and whatever is
 * waiting goes out on the next turn of the event loop (so a quiet stream is never held back).
 */
export function createWriter(stream: Writable = process.stdout): Writer {
  let buffer = "";
  let scheduled = false;
  // One wait for the stream to drain, shared by every writer that arrives meanwhile (many
  // requests at once, each with its line): one set of listeners, however many wait.
  let draining: Promise<void> | undefined;
  const push = (): Promise<void> | undefined => {
    scheduled = false;
    const chunk = buffer;
    buffer = "";
    if (chunk === "" || stream.destroyed) return draining;
    if (stream.write(chunk)) return draining;
    draining ??= new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        draining = undefined;
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
      buffer += text;
      if (buffer.length >= CHUNK) return push();
      if (!scheduled) {
        scheduled = true;
        setImmediate(push);
      }
      return undefined;
    },
    async flush() {
      await push();
    },
  };
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
