/** A progress bar on stderr (cli-progress), for commands that work through many events. */
import type { SingleBar } from "cli-progress";

/** `format` is cli-progress's, e.g. "  sending {bar} {value}/{total} events". */
export async function createProgress(total: number, format: string): Promise<SingleBar> {
  // cli-progress is CommonJS: its exports arrive as the default export under ESM.
  const loaded = (await import("cli-progress")) as unknown as {
    default: typeof import("cli-progress");
  };
  const progress = loaded.default;
  const bar = new progress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    progress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
