/**
 * One base class, one subclass per kind of failure. Core code throws these; only the CLI turns
 * them into messages and exit codes (usage → 2, failed delivery or contract → 1).
 */
export class NorceEventError extends Error {
  /** Stable, machine-readable code, e.g. `NORCE_EVENT_UNKNOWN_TYPE`. */
  readonly code: string;
  /** A short suggestion of what to do next, shown on its own line by the CLI. */
  readonly hint: string | undefined;

  constructor(message: string, options: { code: string; hint?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.hint = options.hint;
  }
}

/** The caller asked for something that cannot be done as asked: bad flag, unknown type, bad URL. */
export class UsageError extends NorceEventError {
  constructor(message: string, options: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? "NORCE_EVENT_USAGE", ...stripCode(options) });
  }
}

export class UnknownEventTypeError extends UsageError {
  readonly input: string;
  readonly suggestion: string | undefined;

  constructor(input: string, suggestion: string | undefined) {
    // Quoted as JSON writes it: a line break in what was typed reads \n, not a space.
    super(
      suggestion === undefined
        ? `unknown event type ${JSON.stringify(input)}`
        : `unknown event type ${JSON.stringify(input)} — did you mean ${suggestion}?`,
      {
        code: "NORCE_EVENT_UNKNOWN_TYPE",
        hint: "run `norce-event types` to list the 19 Norce event types",
      },
    );
    this.input = input;
    this.suggestion = suggestion;
  }
}

/** A payload (generated with overrides, or read from a file) that breaks its type's schema. */
export class InvalidPayloadError extends UsageError {
  readonly problems: readonly { path: string; message: string }[];

  constructor(
    message: string,
    problems: readonly { path: string; message: string }[],
    options: { hint?: string } = {},
  ) {
    super(message, { code: "NORCE_EVENT_INVALID_PAYLOAD", ...options });
    this.problems = problems;
  }
}

/** The project config file is malformed or refers to something that is not there. */
export class ConfigError extends UsageError {
  readonly file: string;

  constructor(file: string, message: string, options: { hint?: string } = {}) {
    super(`${file}: ${message}`, { code: "NORCE_EVENT_CONFIG", ...options });
    this.file = file;
  }
}

/** The event store cannot be opened or used (corrupt, locked, not a database). */
export class StoreError extends NorceEventError {
  readonly file: string;

  constructor(file: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`${file}: ${message}`, { code: "NORCE_EVENT_STORE", ...options });
    this.file = file;
  }
}

/** An operation was stopped from outside (Ctrl-C, an AbortSignal). */
export class AbortedError extends NorceEventError {
  constructor(message = "stopped") {
    super(message, { code: "NORCE_EVENT_ABORTED" });
  }
}

function stripCode<T extends { code?: string }>(options: T): Omit<T, "code"> {
  const { code: _code, ...rest } = options;
  return rest;
}

/** The config switches the event type off: Norce would not track (or send) it. */
export class EventTypeOffError extends NorceEventError {
  readonly type: string;

  constructor(type: string, file: string) {
    super(`${type} is off in ${file} — Norce does not track events while off`, {
      code: "NORCE_EVENT_TYPE_OFF",
      hint: "switch it on in the file, or add --force to send it anyway",
    });
    this.type = type;
  }
}

/** A scenario (built-in name or file) that cannot be planned: unknown type, broken reference, cycle. */
export class ScenarioError extends UsageError {
  /** The scenario (name or file) at fault. */
  readonly scenario: string;

  constructor(scenario: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`${scenario}: ${message}`, { code: "NORCE_EVENT_SCENARIO", ...options });
    this.name = "ScenarioError";
    this.scenario = scenario;
  }
}
