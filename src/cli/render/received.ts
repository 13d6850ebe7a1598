/**
 * How `listen` shows a received request: a summary line, retry and age notes, headers on request,
 * the body as coloured JSON, and the problems found; or one JSON object per line for machines.
 */
import type { Category } from "../../events/catalog.js";
import { maskedForward, maskedForwardResponse } from "../../listener/forwarded.js";
import { maskedHeadersJson, problemsJson, type ReceivedEvent } from "../../listener/server.js";
import { formatDuration } from "../../shared/duration.js";
import { flatRecordJson, jsonScalar, jsonString } from "../../shared/json.js";
import { maskPath, maskText, maskUrl } from "../../shared/secrets.js";
import { firstLine } from "../../shared/text.js";
import { plainStyle, type Style } from "./delivery.js";
import { safe, safeBlock } from "./safe.js";

/** The delivery style, plus what a received event needs: category colours and JSON. */
export interface ReceivedStyle extends Style {
  categoryColour(category: Category | undefined): (text: string) => string;
  colourJson(value: unknown, indent?: number): string;
}

export const plainReceivedStyle: ReceivedStyle = {
  ...plainStyle,
  categoryColour: () => (t) => t,
  colourJson: (value, indent = 2) => safeBlock(JSON.stringify(value, null, indent) ?? ""),
};

export interface PrettyOptions {
  headers: boolean;
  body: boolean;
  showSecrets: boolean;
  /** Notes under the summary line (retry verdict, forwarding); off for one line per event. */
  details?: boolean;
}

export function formatReceived(
  event: ReceivedEvent,
  options: PrettyOptions,
  style: ReceivedStyle,
): string {
  const time = localTime(new Date(event.receivedAt));
  const type = event.type
    ? style.categoryColour(event.category)(style.bold(safe(event.type)))
    : style.yellow("(no Norce-Event-Type)");
  const id = event.messageId ? style.dim(safe(event.messageId.slice(0, 8))) : style.dim("--------");
  const status = style.statusColour(event.status)(`→ ${event.status}`);
  const errors = event.problems.filter((p) => p.severity === "error").length;
  const warnings = event.problems.length - errors;
  const attempt = event.attempt > 1 ? style.yellow(` attempt ${event.attempt}`) : "";
  const age =
    event.timestampAgeMs === undefined
      ? ""
      : style.dim(` age ${formatDuration(Math.max(0, event.timestampAgeMs))}`);
  const method = event.method === "POST" ? "" : `${safe(event.method)} `;
  const path = safe(options.showSecrets ? event.path : maskPath(event.path));
  const counts = options.body
    ? ""
    : [
        errors ? style.red(` ✗ ${errors}`) : "",
        warnings ? style.yellow(` ! ${warnings}`) : "",
      ].join("");
  // The answer never reached the sender (it timed out or hung up): a sender such as Norce
  // counts that attempt as failed whatever the status.
  const gone =
    event.senderGoneAfterMs === undefined
      ? ""
      : style.yellow(
          ` (sender hung up after ${formatDuration(event.senderGoneAfterMs)}, before the answer)`,
        );
  const lines = [
    `${style.dim(time)}  ${type}  ${id}  ${method}${path}  ${status}${gone}${attempt}${age}${counts}`,
  ];

  const indent = "    ";
  if (options.details === false) return lines[0]!;
  if (
    event.note &&
    event.note !== event.forwarded?.error &&
    !event.problems.some((p) => p.message === event.note)
  ) {
    lines.push(
      `${indent}${style.dim(safe(options.showSecrets ? event.note : maskText(event.note, [])))}`,
    );
  }
  if (event.forwarded) {
    const f = event.forwarded;
    lines.push(
      f.error
        ? `${indent}${style.red(`✗ ${safe(maskText(f.error, []))}`)} ${style.dim(`→ answered ${event.status}`)}`
        : `${indent}${style.dim("⇢")} ${safe(maskUrl(f.url))} ${style.statusColour(f.status)(String(f.status))} ${style.dim(formatDuration(f.latencyMs))}${f.response ? `  ${style.dim(safe(JSON.stringify(firstLine(forwardedResponse(event, options.showSecrets), 60))))}` : ""}`,
    );
  }
  if (event.retry) {
    const r = event.retry;
    const gap =
      r.sincePreviousMs === undefined
        ? ""
        : `${formatDuration(r.sincePreviousMs)} after attempt ${r.attempt - 1}`;
    const verdict =
      r.expectedMinMs === undefined
        ? style.yellow("beyond Norce's 17 attempts")
        : r.early
          ? style.red(`✗ earlier than Norce's minimum ${formatDuration(r.expectedMinMs)}`)
          : style.green(`✓ Norce waits ≥ ${formatDuration(r.expectedMinMs)}`);
    lines.push(`${indent}${style.dim("retry:")} ${gap} ${verdict}`);
  }
  if (options.headers) {
    for (const [name, value] of Object.entries(
      options.showSecrets ? event.headers : event.maskedHeaders,
    )) {
      lines.push(`${indent}${style.dim(`${safe(name)}:`)} ${safe(value)}`);
    }
  }
  if (event.bodyBytes > 0 && options.body) {
    const shown = event.bodyIsJson ? abridge(event.body) : undefined;
    const text = String(event.body);
    let body = shown
      ? style.colourJson(shown.value, 2)
      : safeBlock(text.slice(0, BODY_TEXT_CHARS)) + (text.length > BODY_TEXT_CHARS ? "…" : "");
    let cutLines = false;
    const end = nthNewline(body, BODY_LINES);
    if (end !== -1) {
      body = body.slice(0, end);
      cutLines = true;
    }
    lines.push(body.replace(/^/gm, indent));
    if (shown?.cut || cutLines || (!shown && text.length > BODY_TEXT_CHARS)) {
      lines.push(
        `${indent}${style.dim(`… body abridged (${formatBytes(event.bodyBytes)}${shown?.cut ? `; ${shown.cut}` : ""}): --json prints it whole`)}`,
      );
    }
  }
  for (const problem of options.body ? event.problems : []) {
    const mark = problem.severity === "error" ? style.red("✗") : style.yellow("!");
    lines.push(`${indent}${mark} ${safe(problem.path)} ${safe(problem.message)}`);
  }
  return lines.join("\n");
}

/**
 * The `--json` line: one object per request, on one line. Assembled from pieces serialised once
 * (the masked headers are shared with the store) and from the raw body when it is JSON already,
 * rather than serialising a copy of everything for every request.
 */
export function receivedLine(event: ReceivedEvent, showSecrets: boolean): string {
  const body =
    event.bodyIsJson && !hasLineBreak(event.bodyText)
      ? event.bodyText
      : JSON.stringify(event.body ?? null);
  return (
    `{"receivedAt":${jsonString(event.receivedAt)},"method":${jsonString(event.method)},` +
    `"path":${jsonString(showSecrets ? event.path : maskPath(event.path))},"headers":${showSecrets ? flatRecordJson(event.headers) : maskedHeadersJson(event)},` +
    `"type":${jsonScalar(event.type)},"knownType":${event.knownType},"messageId":${jsonScalar(event.messageId)},` +
    `"timestamp":${jsonScalar(event.timestamp)},"timestampAgeMs":${jsonScalar(event.timestampAgeMs)},` +
    `"attempt":${event.attempt},"sincePreviousMs":${jsonScalar(event.retry?.sincePreviousMs)},"body":${body},` +
    `"problems":${problemsJson(event)},"status":${event.status},"note":${jsonScalar(event.note && !showSecrets ? maskText(event.note, []) : event.note)},` +
    `"forwarded":${json(showSecrets ? event.forwarded : maskedForward(event))},"senderGoneAfterMs":${jsonScalar(event.senderGoneAfterMs === undefined ? undefined : Math.round(event.senderGoneAfterMs))}}`
  );
}

/**
 * A line break JSON allows raw in a body (\r and \n between values, U+2028 and U+2029 inside
 * strings): such a body is written re-serialised, so the line stays one line.
 */
function hasLineBreak(text: string): boolean {
  return (
    text.includes("\n") || text.includes("\r") || text.includes("\u2028") || text.includes("\u2029")
  );
}

/** The app's answer, masked unless `--show-secrets`. */
function forwardedResponse(event: ReceivedEvent, showSecrets: boolean): string {
  return showSecrets ? (event.forwarded?.response ?? "") : maskedForwardResponse(event);
}

/** Pretty output shows at most this much of a body; `--json` is always complete. */
const BODY_LINES = 200;
const BODY_TEXT_CHARS = 2000;
const ARRAY_ITEMS = 20;
const OBJECT_KEYS = 50;
const STRING_CHARS = 500;
const LEAVES = 400;

/**
 * A copy of a parsed body small enough to print: the first items of long arrays and keys of big
 * objects, long strings cut, a bounded number of values in all, each cut marked in place. Never
 * walks more than it keeps, so a million-element array costs as much as a short one.
 */
export function abridge(value: unknown): { value: unknown; cut: string | undefined } {
  let leaves = 0;
  let droppedItems = 0;
  let cutStrings = 0;
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      leaves++;
      if (node.length <= STRING_CHARS) return node;
      cutStrings++;
      return `${node.slice(0, STRING_CHARS)}… (${node.length - STRING_CHARS} more characters)`;
    }
    if (node === null || typeof node !== "object") {
      leaves++;
      return node;
    }
    if (Array.isArray(node)) {
      const out: unknown[] = [];
      for (const item of node) {
        if (out.length >= ARRAY_ITEMS || leaves >= LEAVES) break;
        out.push(walk(item));
      }
      if (out.length < node.length) {
        droppedItems += node.length - out.length;
        out.push(`… ${node.length - out.length} more items`);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    let kept = 0;
    let total = 0;
    for (const key in node) {
      total++;
      if (kept >= OBJECT_KEYS || leaves >= LEAVES) continue;
      kept++;
      out[key] = walk((node as Record<string, unknown>)[key]);
    }
    if (kept < total) {
      droppedItems += total - kept;
      out["…"] = `${total - kept} more keys`;
    }
    return out;
  };
  const shown = walk(value);
  const cut = [
    droppedItems ? `${droppedItems.toLocaleString("en-US")} items not shown` : "",
    cutStrings ? `${cutStrings} long string${cutStrings === 1 ? "" : "s"} cut` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return { value: shown, cut: cut || undefined };
}

function nthNewline(text: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = text.indexOf("\n", at + 1);
    if (at === -1) return -1;
  }
  return at;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function json(value: unknown): string {
  return value === undefined ? "null" : JSON.stringify(value);
}

function localTime(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
