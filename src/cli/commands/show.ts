import { formatDuration } from "../../shared/duration.js";
import { maskPath, maskText, maskUrl } from "../../shared/secrets.js";
import { firstLine } from "../../shared/text.js";
import type { GlobalOptions } from "../globals.js";
import { print } from "../output.js";
import { findStoredEvent, loadProject, storeToRead } from "../project.js";
import { scheduleLabel } from "../render/delivery.js";
import { plainReceivedStyle } from "../render/received.js";
import { safe, safeBlock } from "../render/safe.js";
import { localDateTime } from "./log.js";

export async function runShow(
  messageId: string,
  options: { json?: boolean },
  globals: GlobalOptions,
): Promise<number> {
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "show", { readOnly: true });
    const found = findStoredEvent(store, messageId);
    if (options.json) {
      print(JSON.stringify(found, null, 2));
      return 0;
    }
    const style =
      globals.color && process.stdout.isTTY ? await import("../style.js") : plainReceivedStyle;
    const any = found.deliveries[0] ?? found.received[0];
    print(`${style.bold(safe(any?.type ?? "(no type)"))} ${safe(found.messageId)}`);
    const timestamp = found.deliveries[0]?.timestamp;
    if (timestamp) print(`  Norce-Event-Timestamp ${safe(timestamp)}`);
    for (const d of found.deliveries) {
      print();
      print(
        `sent to ${safe(maskUrl(d.url))} · ${d.state === "pending" ? `pending: attempt #${d.nextAttempt} due ${d.nextDueAt ? localDateTime(d.nextDueAt) : "now"}` : `${d.state} after ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`} · ${localDateTime(d.createdAt)}`,
      );
      for (const h of d.headers)
        print(
          `  ${style.dim(`${safe(h.name)}:`)} ${safe(h.template ?? h.value ?? `${h.masked} (not stored)`)}`,
        );
      for (const a of d.attemptList) {
        const what = safe(maskText(a.error ?? String(a.status), []));
        const colour = style.statusColour(a.status ?? undefined);
        print(
          `  #${String(a.attempt).padEnd(3)}${scheduleLabel(a.scheduleMs).padEnd(9)}${localDateTime(a.startedAt)}  ${colour(what)}  ${style.dim(formatDuration(a.latencyMs))}${a.response ? `  ${style.dim(safe(JSON.stringify(firstLine(a.response, 60))))}` : ""}`,
        );
      }
    }
    if (found.received.length > 0) {
      print();
      print(`received ${found.received.length}×`);
      for (const r of found.received) {
        print(
          `  ${localDateTime(r.receivedAt)}  ${safe(r.method)} ${safe(maskPath(r.path))}  attempt ${r.attempt}  → ${style.statusColour(r.status)(String(r.status))}`,
        );
        for (const p of r.problems)
          print(
            `    ${p.severity === "error" ? style.red("✗") : style.yellow("!")} ${safe(p.path)} ${safe(p.message)}`,
          );
      }
    }
    const body = found.deliveries[0]?.body ?? found.received[0]?.body ?? "";
    print();
    print("body:");
    try {
      print(style.colourJson(JSON.parse(body), 2).replace(/^/gm, "  "));
    } catch {
      print(safeBlock(body).replace(/^/gm, "  "));
    }
    return 0;
  } finally {
    await project.close();
  }
}
