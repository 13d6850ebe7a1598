/**
 * What the inspector's server sends its page: shared by the server (Node) and the page (the
 * browser), so both are type-checked against one shape. Types only: nothing here runs.
 */

/** One stored row (a received request or a delivery), as a line of the live list. */
export interface FeedRecord {
  /** `r:<id>` for a received request, `s:<id>` for a delivery: unique in the store. */
  key: string;
  direction: "received" | "sent";
  messageId: string | null;
  type: string | null;
  category: string | null;
  /** When it was received, or when the delivery began (epoch ms). */
  time: number;
  /** The path it was received on, or the URL it was sent to (credentials masked). */
  target: string;
  /** The status answered (received) or last received (sent); null when there was no answer. */
  status: number | null;
  /** The attempt number of a received request; the attempts made of a delivery. */
  attempt: number;
  state: "received" | "pending" | "delivered" | "dead";
  problems: number;
  /** The start of the body, for the free-text filter. */
  preview: string;
}

export interface HeaderView {
  name: string;
  value: string;
  /** A secret the store keeps masked (or never kept). */
  masked: boolean;
}

export interface ProblemView {
  severity: string;
  path: string;
  message: string;
}

/** One request of a message id as the listener received it. */
export interface ReceivedView {
  key: string;
  receivedAt: number;
  method: string;
  path: string;
  headers: HeaderView[];
  /** The body as received (cut at `bodyLimit`; `bodyBytes` says how long it was). */
  body: string;
  bodyBytes: number;
  bodyCut: boolean;
  status: number;
  attempt: number;
  problems: ProblemView[];
  note: string | null;
  latencyMs: number | null;
  forwarded: {
    url: string;
    status?: number;
    latencyMs: number;
    error?: string;
    response: string;
  } | null;
  /** Time since the previous request of this message id, and Norce's minimum for that gap. */
  gapMs: number | null;
  minGapMs: number | null;
  early: boolean;
}

/** One attempt of a delivery, as `show` prints it. */
export interface AttemptView {
  attempt: number;
  scheduleMs: number;
  startedAt: number;
  latencyMs: number;
  status: number | null;
  error: string | null;
  response: string;
  url: string;
  /** Real time since the previous attempt, and Norce's minimum (divided by the time scale). */
  gapMs: number | null;
  minGapMs: number | null;
  early: boolean;
}

export interface SentView {
  key: string;
  url: string;
  state: string;
  createdAt: number;
  headers: HeaderView[];
  body: string;
  timeScale: number;
  attempts: AttemptView[];
}

/** What changed between two requests of one message id (a sender bug: Norce retries the same). */
export interface AttemptDiff {
  from: number;
  to: number;
  changes: {
    where: "body" | "header";
    /** A JSON path (`$.OrderNo`) or a header name. */
    path: string;
    before: string | null;
    after: string | null;
    /** Expected to differ between attempts (a signature's timestamp), shown but not a bug. */
    expected: boolean;
  }[];
}

export interface EventDetail {
  messageId: string | null;
  type: string | null;
  category: string | null;
  received: ReceivedView[];
  sent: SentView[];
  diffs: AttemptDiff[];
  /** Where a replay from the page goes, or why there is none. */
  replay: { target: string } | { unavailable: string };
  /** Secrets are masked; true when `--show-secrets` lets the page reveal what this process saw. */
  canReveal: boolean;
}

/** What the listener answers, switchable from the page. */
export interface AnswerSettings {
  status: number;
  failFirst: number;
  failRate: number;
  delayMs: number;
  /** `Name: value` a request must carry (401 otherwise); empty for none. */
  requireHeader: string;
}

export interface InspectorMeta {
  mode: "listen" | "store";
  /** The receiver's URL when a listener runs. */
  listenerUrl: string | null;
  forwardTo: string | null;
  store: string;
  timeScale: number;
  answers: AnswerSettings | null;
  version: string;
}
