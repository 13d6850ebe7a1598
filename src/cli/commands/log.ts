import { relative } from "node:path";
import { maskPath, maskUrl } from "../../shared/secrets.js";
import type { DeliveryState, LogRow } from "../../store/db.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { loadProject, storeToRead } from "../project.js";
import { safe } from "../render/safe.js";
import { renderTable } from "../table.js";

export interface LogOptions {
  type?: string;
  state?: DeliveryState;
  direction?: "sent" | "received";
  since?: number;
  limit: number;
  json?: boolean;
  /** `--scenario` (true: the recent runs) or `--scenario <run id>`. */
  scenario?: true | string;
}

export async function runLog(options: LogOptions, globals: GlobalOptions): Promise<number> {
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "log");
    if (options.scenario !== undefined) {
      const { showScenarioLog } = await import("./scenario-log.js");
      return showScenarioLog(store, options.scenario, options);
    }
    const type = options.type
      ? ((await import("../../events/catalog.js")).findEventType(options.type)?.name ??
        options.type)
      : undefined;
    const rows = store.log({
      ...(type ? { type } : {}),
      ...(options.state ? { state: options.state } : {}),
      ...(options.direction ? { direction: options.direction } : {}),
      ...(options.since ? { since: Date.now() - options.since } : {}),
      limit: options.limit,
    });
    if (options.json) {
      print(
        JSON.stringify(
          rows.map((r) => ({ ...r, time: new Date(r.time).toISOString() })),
          null,
          2,
        ),
      );
      return 0;
    }
    if (rows.length === 0) {
      say(
        `no events${options.type || options.state || options.direction || options.since ? " match" : " yet"} in ${store.path}`,
      );
      return 0;
    }
    print(
      renderTable(
        ["TIME", "DIR", "TYPE", "MESSAGE ID", "ATTEMPTS", "STATUS", "STATE", "TARGET"],
        rows.map(toCells),
        {
          alignRight: [4, 5],
          maxWidth: process.stdout.isTTY ? process.stdout.columns || 160 : 200,
        },
      ),
    );
    say(
      `${rows.length} shown, newest first · ${shortPath(store.path)} · norce-event show <message id> for one`,
    );
    return 0;
  } finally {
    await project.close();
  }
}

function toCells(row: LogRow): string[] {
  return [
    localDateTime(row.time),
    row.direction,
    safe(row.type ?? "(no type)"),
    safe(row.messageId ?? "—"),
    String(row.attempts),
    row.lastStatus === null ? "—" : String(row.lastStatus),
    row.state === "received" && row.problems > 0
      ? `received, ${row.problems} problem${row.problems === 1 ? "" : "s"}`
      : row.state,
    // Stored masked since this version; masked again for stores written before it.
    safe(row.direction === "sent" ? maskUrl(row.target) : maskPath(row.target)),
  ];
}

/** A path relative to the working directory when it is inside it. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

export function localDateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
