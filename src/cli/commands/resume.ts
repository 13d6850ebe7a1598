import { parseHeaders } from "../../delivery/headers.js";
import type { DeliveryRecord } from "../../store/db.js";
import { isAlive, resumeState, storedEvent } from "../../store/restore.js";
import { restoreHeaders } from "../../store/templates.js";
import { deliverShown, loadStyle, secretValues } from "../deliveries.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { loadProject, storeToRead } from "../project.js";
import { interruptSignal } from "../signals.js";

export interface ResumeOptions {
  header?: string[];
  to?: string;
  timeScale?: number;
  json?: boolean;
}

/** Pending rows another live run holds (claimed just now by no one else): left to it, and said so. */
function sayOwnedElsewhere(rows: readonly DeliveryRecord[]): void {
  const byPid = new Map<number, number>();
  for (const row of rows) {
    if (row.ownerPid !== null && row.ownerPid !== process.pid && isAlive(row.ownerPid))
      byPid.set(row.ownerPid, (byPid.get(row.ownerPid) ?? 0) + 1);
  }
  for (const [pid, n] of byPid)
    say(`${n} pending event${n === 1 ? " is" : "s are"} being sent by process ${pid}; left to it`);
}

export async function runResume(options: ResumeOptions, globals: GlobalOptions): Promise<number> {
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "resume");
    // Claimed in one transaction: another resume (or a live send) keeps what it holds, and two
    // resumes started at once split the rows between them instead of both sending each.
    const pending = store.claimPending();
    sayOwnedElsewhere(store.pending());
    if (pending.length === 0) {
      say(`nothing to resume in ${store.path}`);
      return EXIT_OK;
    }
    const given = parseHeaders(options.header);
    // Check every event before sending any: a header that cannot be restored is named, not skipped.
    let prepared: {
      record: (typeof pending)[number];
      event: ReturnType<typeof storedEvent>;
      headers: ReturnType<typeof restoreHeaders>;
    }[];
    try {
      prepared = pending.map((record) => ({
        record,
        event: storedEvent(record, { path: store.path }),
        headers: restoreHeaders(record.headers, given, record.messageId),
      }));
    } catch (error) {
      // Nothing was sent: give the rows back for the next resume.
      store.releaseClaims(pending.map((record) => record.id));
      throw error;
    }
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
        prepared.map(({ record, event, headers }) => {
          output.secrets.push(...secretValues(headers));
          return deliverShown(
            event,
            {
              to: options.to ?? record.url,
              headers,
              storedHeaders: record.headers,
              policy: {
                ...record.policy,
                ...(options.timeScale ? { timeScale: options.timeScale } : {}),
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
      await store.flush();
      const lost = store.losses();
      if (lost.deliveries > 0) {
        say(
          `warning: ${lost.deliveries} of the resumed deliveries were not recorded in ${store.path} (${lost.error?.message ?? "write failed"})`,
        );
      }
      if (outcomes.includes("interrupted")) return EXIT_INTERRUPTED;
      return outcomes.every((o) => o === "delivered") ? EXIT_OK : EXIT_FAILED;
    } finally {
      signal.dispose();
    }
  } finally {
    await project.close();
  }
}
