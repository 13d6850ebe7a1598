import { createPolicy } from "../../delivery/policy.js";
import { DEFAULT_INSPECTOR_PORT, startInspector } from "../../inspector/server.js";
import { packageVersion } from "../../shared/package.js";
import { EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { say } from "../output.js";
import { loadProject, storeToRead } from "../project.js";
import { interruptSignal } from "../signals.js";

export interface InspectOptions {
  port: number;
  timeScale: number;
}

/** The inspector over the event store alone: what send, replay, resume and listeners recorded. */
export async function runInspect(options: InspectOptions, globals: GlobalOptions): Promise<number> {
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "inspect");
    const inspector = await startInspector({
      store,
      port: options.port,
      policy: createPolicy({ timeScale: options.timeScale }),
      timeScale: options.timeScale,
      version: packageVersion(),
      onReplay: (info) =>
        say(
          info.outcome
            ? `replay of ${info.messageId.slice(0, 8)}: ${info.outcome}`
            : `replaying ${info.messageId.slice(0, 8)} to ${info.to}${info.warnings.length ? ` (${info.warnings.join("; ")})` : ""}`,
        ),
    });
    say(`norce-event inspector on ${inspector.url}`);
    say(`  showing ${store.path}: every event sent and received, live · Ctrl-C to stop`);
    const stop = interruptSignal();
    await new Promise<void>((resolve) =>
      stop.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    stop.dispose();
    await inspector.close();
    say("\nstopped the inspector");
    return EXIT_OK;
  } finally {
    await project.close();
  }
}

export { DEFAULT_INSPECTOR_PORT };
