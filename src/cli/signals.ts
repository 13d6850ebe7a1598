/**
 * Ctrl-C (SIGINT) and SIGTERM stop a running command cleanly: the first one aborts (the command
 * then prints what happened and what was left undone, and exits 130); a second one quits at once.
 * A reader closing the command's output pipe stops it the same way, once.
 */
import { EXIT_INTERRUPTED } from "./errors.js";
import { guardBrokenPipe, whenPipeCloses } from "./output.js";

export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function interruptSignal(onInterrupt?: () => void): Interrupt {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.exitCode = EXIT_INTERRUPTED;
    onInterrupt?.();
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  const stopWatchingPipe = whenPipeCloses(() => {
    if (!controller.signal.aborted) handler();
  });
  // Guarded now, not at the first write: the reader may go before anything is written.
  guardBrokenPipe(process.stdout);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
      stopWatchingPipe();
    },
  };
}
