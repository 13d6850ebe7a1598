/**
 * The store's rows as the inspector's page sees them: a line per row for the live list, and for
 * one message id every request and delivery with the attempts timeline against Norce's schedule
 * and what changed between attempts. Values come from the store, where secrets are already masked.
 */
import { NORCE_RETRY_DELAYS_MS } from "../delivery/policy.js";
import { findEventType } from "../events/catalog.js";
import { isMasked } from "../shared/secrets.js";
import type { Change, DeliveryRecord, ReceivedRecord } from "../store/db.js";
import type {
  AttemptDiff,
  AttemptView,
  FeedRecord,
  HeaderView,
  ReceivedView,
  SentView,
} from "./web/types.js";

/** How much of a body the list keeps for the text filter. */
const PREVIEW_CHARS = 2000;
/** How much of a body a detail view carries (the whole body is a download away). */
export const BODY_LIMIT = 256 * 1024;

/** Headers that differ between attempts by design (a Standard Webhooks signature is per attempt). */
const VARYING_HEADERS = new Set(["webhook-timestamp", "webhook-signature"]);
/** Headers of the connection, not the event: left out of the attempts diff. */
const TRANSPORT_HEADERS = new Set(["connection", "keep-alive", "content-length", "host"]);

export function feedRecord(change: Change): FeedRecord {
  if (change.kind === "received") {
    const r = change.record as ReceivedRecord;
    return {
      key: `r:${r.id}`,
      direction: "received",
      messageId: r.messageId,
      type: r.type,
      category: categoryOf(r.type),
      time: r.receivedAt,
      target: `${r.method === "POST" ? "" : `${r.method} `}${r.path}`,
      status: r.status,
      attempt: r.attempt,
      state: "received",
      problems: r.problems.length,
      preview: r.body.slice(0, PREVIEW_CHARS),
    };
  }
  const d = change.record as DeliveryRecord;
  return {
    key: `s:${d.id}`,
    direction: "sent",
    messageId: d.messageId,
    type: d.type,
    category: categoryOf(d.type),
    time: d.createdAt,
    target: d.url,
    status: d.lastStatus,
    attempt: d.attempts,
    state: d.state,
    problems: d.state === "dead" ? 1 : 0,
    preview: d.body.slice(0, PREVIEW_CHARS),
  };
}

function categoryOf(type: string | null): string | null {
  return (type && findEventType(type)?.category) ?? null;
}

/** Norce's minimum gap before attempt `n` (2 for the first retry), divided by the time scale. */
function minimumGap(n: number, timeScale: number): number | null {
  const delay = NORCE_RETRY_DELAYS_MS[n - 2];
  return delay === undefined ? null : delay / timeScale;
}

export function headerViews(
  headers: Record<string, string>,
  revealed?: Record<string, string>,
): HeaderView[] {
  return Object.entries(headers).map(([name, value]) => {
    const masked = isMasked(value);
    const real = masked ? revealed?.[name.toLowerCase()] : undefined;
    return { name, value: real ?? value, masked: masked && real === undefined };
  });
}

export function receivedViews(
  records: readonly ReceivedRecord[],
  timeScale: number,
  reveal?: (record: ReceivedRecord) => Record<string, string> | undefined,
): ReceivedView[] {
  let previous: ReceivedRecord | undefined;
  return records.map((r) => {
    const gap = previous ? r.receivedAt - previous.receivedAt : null;
    const min = r.attempt > 1 ? minimumGap(r.attempt, timeScale) : null;
    previous = r;
    const bodyBytes = Buffer.byteLength(r.body);
    return {
      key: `r:${r.id}`,
      receivedAt: r.receivedAt,
      method: r.method,
      path: r.path,
      headers: headerViews(r.headers, reveal?.(r)),
      body: r.body.length > BODY_LIMIT ? r.body.slice(0, BODY_LIMIT) : r.body,
      bodyBytes,
      bodyCut: r.body.length > BODY_LIMIT,
      status: r.status,
      attempt: r.attempt,
      problems: r.problems,
      note: r.extra?.note ?? null,
      latencyMs: r.extra?.latencyMs ?? null,
      forwarded: r.extra?.forwarded ?? null,
      gapMs: gap,
      minGapMs: min,
      early: gap !== null && min !== null && gap < min,
    };
  });
}

export function sentViews(records: readonly DeliveryRecord[]): SentView[] {
  return records.map((d) => {
    const timeScale = d.policy.timeScale || 1;
    let previousStart: number | undefined;
    const attempts = d.attemptList.map((a): AttemptView => {
      const gap = previousStart === undefined ? null : a.startedAt - previousStart;
      const min = a.attempt > 1 ? minimumGap(a.attempt, timeScale) : null;
      previousStart = a.startedAt;
      return {
        ...a,
        gapMs: gap,
        minGapMs: min,
        // A resumed delivery's first attempt here has no previous start: no verdict.
        early: gap !== null && min !== null && gap < min,
      };
    });
    return {
      key: `s:${d.id}`,
      url: d.url,
      state: d.state,
      createdAt: d.createdAt,
      headers: d.headers.map((h) => ({
        name: h.name,
        value: h.value ?? h.template ?? h.masked ?? "",
        masked: h.value === undefined && h.template === undefined,
      })),
      body: d.body.length > BODY_LIMIT ? d.body.slice(0, BODY_LIMIT) : d.body,
      timeScale,
      attempts,
    };
  });
}

/** What changed from each request of a message id to the next. */
export function attemptDiffs(records: readonly ReceivedRecord[]): AttemptDiff[] {
  const diffs: AttemptDiff[] = [];
  for (let i = 1; i < records.length; i++) {
    const before = records[i - 1]!;
    const after = records[i]!;
    const changes: AttemptDiff["changes"] = [];
    diffJson(parse(before.body), parse(after.body), "$", changes);
    const names = new Set([...Object.keys(before.headers), ...Object.keys(after.headers)]);
    for (const name of names) {
      const lower = name.toLowerCase();
      if (TRANSPORT_HEADERS.has(lower)) continue;
      const a = before.headers[name] ?? null;
      const b = after.headers[name] ?? null;
      if (a !== b) {
        changes.push({
          where: "header",
          path: name,
          before: a,
          after: b,
          expected: VARYING_HEADERS.has(lower),
        });
      }
    }
    diffs.push({ from: before.attempt, to: after.attempt, changes });
  }
  return diffs;
}

const NOT_JSON = Symbol("not JSON");

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** A path-by-path comparison of two JSON values (at most 200 differences are listed). */
function diffJson(a: unknown, b: unknown, path: string, out: AttemptDiff["changes"]): void {
  if (out.length >= 200) return;
  if (a === NOT_JSON || b === NOT_JSON) {
    if (a !== b)
      out.push({ where: "body", path, before: show(a), after: show(b), expected: false });
    return;
  }
  const objects = isObject(a) && isObject(b);
  const arrays = Array.isArray(a) && Array.isArray(b);
  if (objects || arrays) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of keys) {
      const sub = arrays ? `${path}[${key}]` : `${path}.${key}`;
      const x = (a as Record<string, unknown>)[key];
      const y = (b as Record<string, unknown>)[key];
      if (x === undefined || y === undefined) {
        if (x !== y)
          out.push({ where: "body", path: sub, before: show(x), after: show(y), expected: false });
      } else diffJson(x, y, sub, out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push({ where: "body", path, before: show(a), after: show(b), expected: false });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string | null {
  if (value === undefined) return null;
  if (value === NOT_JSON) return "(not JSON)";
  const text = JSON.stringify(value) ?? "null";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
