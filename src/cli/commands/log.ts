import { relative } from "node:path";
import { UsageError } from "../../shared/errors.js";
import { maskPath, maskUrl } from "../../shared/secrets.js";
import type { DeliveryState, LogRow } from "../../store/db.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { loadProject, storeToRead } from "../project.js";
import { safe } from "../render/safe.js";
import { naturalWidths, renderTable, tableWidth } from "../table.js";

export interface LogOptions {
  type?: string;
  /** A sent event's state, or `received` (what the STATE column shows for received ones). */
  state?: DeliveryState | "received";
  direction?: "sent" | "received";
  since?: number;
  limit: number;
  json?: boolean;
  /** `--scenario` (true: the recent runs) or `--scenario <run id>`. */
  scenario?: true | string;
}

export async function runLog(options: LogOptions, globals: GlobalOptions): Promise<number> {
  if (options.state === "received" && options.direction === "sent") {
    throw new UsageError("--state received and --direction sent exclude each other", {
      hint: "received events have no delivery state; drop one of them",
    });
  }
  if (options.type !== undefined && options.type.trim() === "") {
    throw new UsageError("--type is empty", {
      hint: "give an event type, e.g. --type OrderConfirmedEvent; norce-event types lists them",
    });
  }
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "log", { readOnly: true });
    if (options.scenario !== undefined) {
      const { showScenarioLog } = await import("./scenario-log.js");
      return showScenarioLog(store, options.scenario, options);
    }
    const catalog = options.type ? await import("../../events/catalog.js") : undefined;
    const type = options.type
      ? (catalog?.findEventType(options.type)?.name ?? options.type)
      : undefined;
    const received = options.state === "received";
    const direction = received ? "received" : options.direction;
    const rows = store.log({
      ...(type ? { type } : {}),
      ...(options.state && !received ? { state: options.state as DeliveryState } : {}),
      ...(direction ? { direction } : {}),
      ...(options.since ? { since: Date.now() - options.since } : {}),
      limit: options.limit,
    });
    // A type Norce does not have and nothing in the store carries: a typo, most likely.
    if (rows.length === 0 && options.type && catalog && !catalog.findEventType(options.type)) {
      catalog.getEventType(options.type);
    }
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
    print(renderLog(rows, process.stdout.isTTY ? process.stdout.columns || 80 : undefined));
    say(
      `${rows.length} shown, newest first · ${shortPath(store.path)} · norce-event show <message id> for one`,
    );
    return 0;
  } finally {
    await project.close();
  }
}

/**
 * The log as a table. Without a width (not a terminal) every column in full; in a terminal the
 * first layout that fits: full, then a short message id (show takes its first characters)
 * without DIR (STATE says `received`), then the time of day alone. TYPE and TARGET are cut last,
 * TARGET in the middle so its host and path both show; a line never wraps.
 */
export function renderLog(rows: readonly LogRow[], width: number | undefined): string {
  const today = localDateTime(Date.now()).slice(0, 10);
  const allToday = rows.every((r) => localDateTime(r.time).startsWith(today));
  const layouts: Layout[] = [
    {
      headers: ["TIME", "DIR", "TYPE", "MESSAGE ID", "ATTEMPTS", "STATUS", "STATE", "TARGET"],
      cells: (r) => [
        localDateTime(r.time),
        r.direction,
        safe(r.type ?? "(no type)"),
        safe(r.messageId ?? "—"),
        String(r.attempts),
        status(r),
        state(r),
        target(r),
      ],
      alignRight: [4, 5],
    },
    {
      headers: ["TIME", "TYPE", "ID", "ATTEMPTS", "STATUS", "STATE", "TARGET"],
      cells: (r) => [
        localDateTime(r.time),
        safe(r.type ?? "(no type)"),
        safe((r.messageId ?? "—").slice(0, 8)),
        String(r.attempts),
        status(r),
        state(r),
        withoutScheme(target(r)),
      ],
      alignRight: [3, 4],
    },
    {
      headers: ["TIME", "TYPE", "ID", "TRIES", "HTTP", "STATE", "TARGET"],
      cells: (r) => [
        allToday ? localDateTime(r.time).slice(11) : localDateTime(r.time).slice(5, 16),
        safe(r.type ?? "(no type)"),
        safe((r.messageId ?? "—").slice(0, 8)),
        String(r.attempts),
        status(r),
        state(r),
        withoutScheme(target(r)),
      ],
      alignRight: [3, 4],
    },
  ];
  if (width === undefined) {
    const full = layouts[0]!;
    return renderTable(full.headers, rows.map(full.cells), { alignRight: full.alignRight });
  }
  for (const [index, layout] of layouts.entries()) {
    const cells = rows.map(layout.cells);
    const widths = naturalWidths(layout.headers, cells);
    const targetColumn = layout.headers.length - 1;
    // A layout fits when TARGET keeps 30 characters (or all of it) without cutting TYPE.
    widths[targetColumn] = Math.min(widths[targetColumn]!, 30);
    if (tableWidth(widths) <= width || index === layouts.length - 1) {
      const typeColumn = layout.headers.indexOf("TYPE");
      return renderTable(layout.headers, cells, {
        alignRight: layout.alignRight,
        maxWidth: width,
        flexible: [
          { column: targetColumn, min: 20, middle: true },
          { column: typeColumn, min: 12 },
        ],
      });
    }
  }
  return "";
}

interface Layout {
  headers: string[];
  cells: (row: LogRow) => string[];
  alignRight: number[];
}

function status(row: LogRow): string {
  return row.lastStatus === null ? "—" : String(row.lastStatus);
}

function state(row: LogRow): string {
  return row.state === "received" && row.problems > 0
    ? `received, ${row.problems} problem${row.problems === 1 ? "" : "s"}`
    : row.state;
}

/** Stored masked since the secrets work; masked again for stores written before it. */
function target(row: LogRow): string {
  return safe(row.direction === "sent" ? maskUrl(row.target) : maskPath(row.target));
}

function withoutScheme(target: string): string {
  return target.replace(/^https?:\/\//, "");
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
