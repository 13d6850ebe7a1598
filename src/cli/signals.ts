/**
 * Ctrl-C (SIGINT) and SIGTERM stop a running command cleanly: the first one aborts (the command
 * then prints what happened and what was left undone, and exits 130); a second one quits at once.
 */
import { EXIT_INTERRUPTED } from "./errors.js";

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
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
