/** `norce-event log --scenario [run]`: a scenario run's events together, in the order planned. */
import { formatDuration } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";
import type { EventStore } from "../../store/db.js";
import { print, say } from "../output.js";
import { renderTable } from "../table.js";
import { localDateTime } from "./log.js";

export function showScenarioLog(
  store: EventStore,
  run: true | string,
  options: { json?: boolean; limit: number },
): number {
  const width = process.stdout.isTTY ? process.stdout.columns || 160 : 220;
  if (run === true) {
    const runs = store.scenarioRuns(options.limit);
    if (options.json) {
      print(
        JSON.stringify(
          runs.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() })),
          null,
          2,
        ),
      );
      return 0;
    }
    if (runs.length === 0) {
      say(`no scenario runs in ${store.path} (norce-event scenario run records them)`);
      return 0;
    }
    print(
      renderTable(
        ["STARTED", "RUN", "SCENARIO", "SEED", "EVENTS"],
        runs.map((r) => [
          localDateTime(r.createdAt),
          r.runId,
          r.scenario,
          String(r.seed),
          String(r.events),
        ]),
        { maxWidth: width },
      ),
    );
    say("norce-event log --scenario <run> for one run's events in order");
    return 0;
  }
  const found = store.scenarioRun(run);
  if (!found) {
    throw new UsageError(`no scenario run ${run} in ${store.path}`, {
      hint: "norce-event log --scenario lists the recent runs (kept 7 days)",
    });
  }
  const { runId, events } = found;
  if (options.json) {
    print(JSON.stringify({ runId, events }, null, 2));
    return 0;
  }
  const first = events[0]!;
  const runs = new Set(events.map((e) => e.repetition)).size;
  print(
    `scenario ${first.scenario} · run ${runId} · seed ${first.seed} · ${events.length} events${runs > 1 ? ` in ${runs} runs` : ""} · started ${localDateTime(first.createdAt)}`,
  );
  print(
    renderTable(
      ["#", "STEP", "TYPE", "MESSAGE ID", "SENT", "ATTEMPTS", "STATUS", "RECEIVED", "SHARED IDS"],
      events.map((e) => [
        `${runs > 1 ? `${e.repetition + 1}.` : ""}${e.step}`,
        e.stepId,
        e.type,
        e.messageId,
        e.state ?? "not sent",
        e.attempts === null ? "—" : String(e.attempts),
        e.lastStatus === null ? "—" : String(e.lastStatus),
        e.received === 0
          ? "—"
          : `${e.received}×${e.firstReceivedAt ? ` +${formatDuration(Math.max(0, e.firstReceivedAt - first.createdAt))}` : ""}`,
        Object.entries(e.ids)
          .map(([k, v]) => `${k} ${v}`)
          .join(" · "),
      ]),
      { maxWidth: width, alignRight: [5, 6] },
    ),
  );
  say(
    "RECEIVED counts what a listener recording to this store got with the same message id (Norce sends no run id, so the run is known by its message ids).",
  );
  return 0;
}
