import { parseHeaders } from "../../delivery/headers.js";
import { parseTargetUrl } from "../../shared/url.js";
import { isAlive, resumeState, storedEvent } from "../../store/restore.js";
import { restoreHeaders, restoreUrl } from "../../store/templates.js";
import { deliverShown, loadStyle, secretValues } from "../deliveries.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { loadProject, storeToRead } from "../project.js";
import { safe } from "../render/safe.js";
import { interruptSignal } from "../signals.js";

export interface ResumeOptions {
  header?: string[];
  to?: string;
  timeScale?: number;
  json?: boolean;
  keepAuthOnRedirect?: boolean;
}

export async function runResume(options: ResumeOptions, globals: GlobalOptions): Promise<number> {
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "resume");
    const all = store.pending();
    const owned = all.filter((d) => isAlive(d.ownerPid));
    const pending = all.filter((d) => !isAlive(d.ownerPid));
    for (const d of owned)
      say(`${safe(d.messageId)} is still being sent by process ${d.ownerPid}; left to it`);
    if (pending.length === 0) {
      say(`nothing to resume in ${store.path}`);
      return EXIT_OK;
    }
    const given = parseHeaders(options.header);
    // Check every event before sending any: a header that cannot be restored is named, not skipped.
    const prepared = pending.map((record) => ({
      record,
      event: storedEvent(record, { path: store.path }),
      headers: restoreHeaders(record.headers, given, record.messageId),
      // Credentials in the URL were masked in the store: --to gives it again.
      url: parseTargetUrl(
        restoreUrl(record.url, { to: options.to }, record.messageId) ?? record.url,
        options.to ? "--to" : "the stored url",
      ),
    }));
    const output = {
      json: options.json ?? false,
      style: await loadStyle(globals, options.json ?? false),
      secrets: [] as string[],
    };
    if (!output.json)
      print(
        `resuming ${prepared.length} pending event${prepared.length === 1 ? "" : "s"} where ${prepared.length === 1 ? "it" : "they"} left off`,
      );
    const signal = interruptSignal();
    try {
      const deliveries = await Promise.all(
        prepared.map(({ record, event, headers, url }) => {
          output.secrets.push(...secretValues(headers, { url }));
          return deliverShown(
            event,
            {
              to: url,
              headers,
              storedHeaders: record.headers,
              policy: {
                ...record.policy,
                ...(options.timeScale ? { timeScale: options.timeScale } : {}),
                ...(options.keepAuthOnRedirect ? { keepAuthOnRedirect: true } : {}),
              },
              signal: signal.signal,
              resume: resumeState(record),
              resumeRecord: record,
            },
            output,
            store,
          );
        }),
      );
      const outcomes = deliveries.map((d) => d.outcome);
      if (outcomes.includes("interrupted")) return EXIT_INTERRUPTED;
      return outcomes.every((o) => o === "delivered") ? EXIT_OK : EXIT_FAILED;
    } finally {
      signal.dispose();
    }
  } finally {
    await project.close();
  }
}
