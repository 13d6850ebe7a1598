/**
 * What a received request should look like if Norce sent it: the three standard headers present
 * and well-formed (norce-commerce-event-docs.md, "Standard headers"), a JSON body, and a payload
 * valid for its type's schema.
 */

import { HEADER_MESSAGE_ID, HEADER_TIMESTAMP, HEADER_TYPE } from "../delivery/headers.js";
import { findEventType } from "../events/catalog.js";
import { type Problem, validatePayload } from "../events/validator.js";

export type Severity = "error" | "warning";

export interface Finding extends Problem {
  severity: Severity;
}

export interface CheckedRequest {
  /** The canonical type name when the header names a known type (any case). */
  type: string | undefined;
  messageId: string | undefined;
  timestamp: string | undefined;
  /** The timestamp as a date, when it parses. */
  timestampDate: Date | undefined;
  /** The parsed body, or the raw text when it is not JSON. */
  body: unknown;
  bodyIsJson: boolean;
  /** The body nests deeper than MAX_JSON_DEPTH: not parsed. */
  tooDeep: boolean;
  problems: Finding[];
}

/**
 * The deepest JSON nesting that is parsed and checked. A receiver on .NET refuses deeper bodies:
 * System.Text.Json's default `JsonSerializerOptions.MaxDepth` is 64. Norce's payloads nest a few
 * levels at most; a deeper body is someone probing, and parsing it would stall the listener.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests arrays/objects deeper than `limit`, in one pass that skips over string
 * values with a native search (a long string costs one `indexOf`) and stops as soon as it is too
 * deep: about 2 ms for a 1 MiB body of numbers, far less for text.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Nesting deeper than `limit` takes more than `limit` opening brackets: most bodies have a few,
  // counted by native searches far faster than the walk below (which then is not needed).
  if (!hasMoreThan(text, OPENING, limit)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Jump to the closing quote: one not escaped by an odd run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return false;
        let slashes = 0;
        while (text.charCodeAt(i - 1 - slashes) === 92 /* \\ */) slashes++;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

const OPENING = ["{", "["] as const;

/** Whether `text` holds more than `limit` of these characters, together. */
function hasMoreThan(text: string, chars: readonly string[], limit: number): boolean {
  let seen = 0;
  for (const char of chars) {
    for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) {
      if (++seen > limit) return true;
    }
  }
  return false;
}

const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Norce's example has six fractional digits and a numeric offset; any ISO-8601 date-time with a
// zone is accepted, only a missing zone is a problem ("ISO-8601 timestamp including timezone").
const TIMESTAMP_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

// Header names as Node gives them (lower case), worked out once rather than per request.
const MESSAGE_ID_KEY = HEADER_MESSAGE_ID.toLowerCase();
const TYPE_KEY = HEADER_TYPE.toLowerCase();
const TIMESTAMP_KEY = HEADER_TIMESTAMP.toLowerCase();

export function checkRequest(
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
): CheckedRequest {
  const problems: Finding[] = [];
  const header = (lowerName: string) => {
    const value = headers[lowerName];
    return Array.isArray(value) ? value[0] : value;
  };

  const messageId = header(MESSAGE_ID_KEY);
  if (messageId === undefined) problems.push(missing(HEADER_MESSAGE_ID));
  else if (!UUID_LIKE.test(messageId)) {
    problems.push({
      severity: "error",
      path: `header ${HEADER_MESSAGE_ID}`,
      message: `"${messageId}" is not a UUID`,
    });
  }

  const typeHeader = header(TYPE_KEY);
  const info = typeHeader === undefined ? undefined : findEventType(typeHeader);
  if (typeHeader === undefined) problems.push(missing(HEADER_TYPE));
  else if (!info) {
    problems.push({
      severity: "warning",
      path: `header ${HEADER_TYPE}`,
      message: `"${typeHeader}" is not one of Norce's 19 event types; body not checked`,
    });
  } else if (info.name !== typeHeader) {
    problems.push({
      severity: "warning",
      path: `header ${HEADER_TYPE}`,
      message: `"${typeHeader}" differs in case from Norce's ${info.name}`,
    });
  }

  const timestamp = header(TIMESTAMP_KEY);
  let timestampDate: Date | undefined;
  if (timestamp === undefined) problems.push(missing(HEADER_TIMESTAMP));
  else {
    // The shape is checked here; Date.parse reads every ISO-8601 form the shape lets through.
    const time = TIMESTAMP_SHAPE.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
    timestampDate = Number.isNaN(time) ? undefined : new Date(time);
    if (!timestampDate) {
      problems.push({
        severity: "error",
        path: `header ${HEADER_TIMESTAMP}`,
        message: `"${timestamp}" is not an ISO-8601 time with a zone (like 2025-11-16T07:32:28.326837+01:00)`,
      });
    }
  }

  const contentType = header("content-type");
  if (!contentType || !/^application\/(.+\+)?json\b/i.test(contentType)) {
    problems.push({
      severity: "error",
      path: "header content-type",
      message: contentType
        ? `"${contentType}" is not JSON`
        : "is missing (Norce sends application/json)",
    });
  }

  let body: unknown = bodyText;
  let bodyIsJson = false;
  const tooDeep = nestsDeeperThan(bodyText, MAX_JSON_DEPTH);
  if (tooDeep) {
    problems.push({
      severity: "error",
      path: "$",
      message: `nests deeper than ${MAX_JSON_DEPTH} levels; not parsed (a .NET receiver refuses it: System.Text.Json's default MaxDepth is 64)`,
    });
  } else {
    try {
      body = JSON.parse(bodyText);
      bodyIsJson = true;
    } catch (error) {
      problems.push({
        severity: "error",
        path: "$",
        message:
          bodyText.length === 0
            ? "body is empty"
            : `body is not valid JSON: ${(error as Error).message}`,
      });
    }
  }
  if (bodyIsJson && info) {
    for (const problem of validatePayload(info, body).problems) {
      problems.push({ severity: "error", ...problem });
    }
  }

  return {
    type: info?.name ?? typeHeader,
    messageId,
    timestamp,
    timestampDate,
    body,
    bodyIsJson,
    tooDeep,
    problems,
  };
}

function missing(name: string): Finding {
  return { severity: "error", path: `header ${name}`, message: "is missing" };
}
