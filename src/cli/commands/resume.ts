import type { Delivery } from "../../delivery/engine.js";
import { parseHeaders } from "../../delivery/headers.js";
import { NORCE_POLICY } from "../../delivery/policy.js";
import { parseTargetUrl } from "../../shared/url.js";
import type { DeliveryRecord } from "../../store/db.js";
import { isAlive, resumeState, storedEvent } from "../../store/restore.js";
import { restoreHeaders, restoreUrl } from "../../store/templates.js";
import {
  checkHeaderValues,
  deliverShown,
  endCaretLine,
  loadStyle,
  type Output,
  requireSigningKey,
  sayResume,
  secretValues,
  signingKeyFrom,
} from "../deliveries.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { createProgress } from "../progress.js";
import { loadProject, storeToRead } from "../project.js";
import { interruptSignal } from "../signals.js";

export interface ResumeOptions {
  header?: string[];
  to?: string;
  timeScale?: number;
  signSecret?: string;
  json?: boolean;
  keepAuthOnRedirect?: boolean;
}

/** More events than this are shown compactly: a progress bar, the dead ones, and a summary. */
const SHOWN_IN_FULL = 10;

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
    const claimed = store.claimPending();
    sayOwnedElsewhere(store.pending());
    // Norce makes no attempt after the last retry: a row stored pending after it is dead.
    const exhausted = claimed.filter((d) => resumeState(d).attemptsMade > d.policy.maxRetries);
    if (exhausted.length > 0) {
      store.endExhausted(exhausted.map((d) => d.id));
      for (const d of exhausted)
        print(
          options.json
            ? JSON.stringify({
                kind: "summary",
                type: d.type,
                messageId: d.messageId,
                outcome: "dead",
                attempts: d.attempts,
                lastStatus: d.lastStatus,
                note: "its schedule was used up; not sent again",
              })
            : `✗ ${d.messageId}: dead after ${d.attempts} attempts (its schedule was used up; the store still had it pending). Not sent again.`,
        );
    }
    const pending = claimed.filter((d) => !exhausted.includes(d));
    if (pending.length === 0) {
      if (exhausted.length > 0) return EXIT_FAILED;
      say(`nothing to resume in ${store.path}`);
      return EXIT_OK;
    }
    const signingKey = signingKeyFrom(options.signSecret, project.config);
    requireSigningKey(pending.filter((d) => d.policy.signed === true).length, signingKey, "resume");
    const given = parseHeaders(options.header);
    // Check every event before sending any: a header that cannot be restored is named, not skipped.
    let prepared: {
      record: (typeof pending)[number];
      event: ReturnType<typeof storedEvent>;
      headers: ReturnType<typeof restoreHeaders>;
      url: string;
    }[];
    try {
      prepared = pending.map((record) => ({
        record,
        event: storedEvent(record, { path: store.path }),
        headers: restoreHeaders(record.headers, given, record.messageId),
        // Credentials in the URL were masked in the store: --to gives it again.
        url: parseTargetUrl(
          restoreUrl(record.url, { to: options.to }, record.messageId) ?? record.url,
          options.to ? "--to" : "the stored url",
        ),
      }));
      for (const { headers } of prepared) checkHeaderValues(headers);
    } catch (error) {
      // Nothing was sent: give the rows back for the next resume.
      store.releaseClaims(pending.map((record) => record.id));
      throw error;
    }
    const many = prepared.length > 1;
    const output: Output = {
      json: options.json ?? false,
      style: await loadStyle(globals, options.json ?? false),
      secrets: [],
      ...(many ? { many: prepared.length > SHOWN_IN_FULL ? "quiet" : "prefixed" } : {}),
    };
    if (!output.json)
      print(
        `resuming ${prepared.length} pending event${prepared.length === 1 ? "" : "s"} where ${prepared.length === 1 ? "it" : "they"} left off${
          many
            ? output.many === "quiet"
              ? " (dead ones and a summary shown)"
              : " (lines start with the message id)"
            : ""
        }`,
      );
    const progress =
      output.many === "quiet" && process.stderr.isTTY
        ? await createProgress(prepared.length, "  resuming {bar} {value}/{total} events")
        : undefined;
    const signal = interruptSignal(endCaretLine);
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
                timeoutMs: record.policy.timeoutMs,
                maxRetries: record.policy.maxRetries,
                timeScale: options.timeScale ?? record.policy.timeScale,
                ...(options.keepAuthOnRedirect || record.policy.keepAuthOnRedirect
                  ? { keepAuthOnRedirect: true }
                  : {}),
              },
              signal: signal.signal,
              ...(signingKey ? { signingKey } : {}),
              ...cutShort(record),
              resume: rescaled(record, options.timeScale),
              resumeRecord: record,
            },
            output,
            store,
          ).then((delivery) => {
            progress?.increment();
            return delivery;
          });
        }),
      );
      progress?.stop();
      const outcomes = deliveries.map((d) => d.outcome);
      if (many && !output.json) print(summaryLine(deliveries));
      // What was not recorded, and what this run left pending, as the store holds it.
      await sayResume(store);
      if (outcomes.includes("interrupted")) return EXIT_INTERRUPTED;
      return outcomes.every((o) => o === "delivered") && exhausted.length === 0
        ? EXIT_OK
        : EXIT_FAILED;
    } finally {
      signal.dispose();
    }
  } finally {
    await project.close();
  }
}

/**
 * Where a stored delivery stands, with `--time-scale` applied to a wait already under way: the
 * time left was measured at the stored scale, so it is divided again by the new one (a wait of
 * 8 minutes at scale 1 becomes 0.48 s at 1000).
 */
function rescaled(record: DeliveryRecord, timeScale: number | undefined) {
  const state = resumeState(record);
  if (timeScale === undefined || timeScale === record.policy.timeScale) return state;
  const now = Date.now();
  const left = Math.max(0, state.dueAt - now);
  return { ...state, dueAt: now + (left * record.policy.timeScale) / timeScale };
}

/** A stored schedule shorter than Norce's was cut by an option when first sent: say which. */
function cutShort(record: DeliveryRecord): { cutBy?: string } {
  const { maxRetries } = record.policy;
  if (maxRetries >= NORCE_POLICY.maxRetries) return {};
  return { cutBy: maxRetries === 0 ? "--no-retry, as first sent" : "--max-retries, as first sent" };
}

/** One line for many events: how each ended. */
function summaryLine(deliveries: readonly Delivery[]): string {
  const count = (outcome: Delivery["outcome"]) =>
    deliveries.filter((d) => d.outcome === outcome).length;
  const parts = [`${count("delivered")} delivered`, `${count("dead")} dead`];
  if (count("interrupted") > 0) parts.push(`${count("interrupted")} still pending`);
  return `${deliveries.length} events resumed: ${parts.join(" · ")}`;
}
