/**
 * The one place errors become messages and exit codes: usage mistakes exit 2 with one line that
 * says what was wrong and what to do; anything unexpected prints its stack and how to report it.
 */
import { AbortedError, NorceEventError, UsageError } from "../shared/errors.js";
import { maskUrlsIn } from "../shared/secrets.js";
import { safe } from "./render/safe.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${oneLine(error)}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof AbortedError) return EXIT_INTERRUPTED;
  // Ctrl-C at a prompt: quit quietly.
  if (error instanceof Error && error.name === "ExitPromptError") return EXIT_INTERRUPTED;
  if (error instanceof NorceEventError) {
    process.stderr.write(`error: ${oneLine(error)}\n`);
    return EXIT_FAILED;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(
    `error: unexpected ${err.name}: ${err.message}\n${err.stack ?? ""}\n` +
      "This is a bug in norce-event. Please report it with the command you ran and the text above.\n",
  );
  return EXIT_FAILED;
}

function oneLine(error: NorceEventError): string {
  const message = error.message.replace(/\s*\n\s*/g, " ");
  // A message may quote what a receiver or a request said (a stored message id, a path).
  return safe(maskUrlsIn(error.hint ? `${message} (${error.hint})` : message));
}
