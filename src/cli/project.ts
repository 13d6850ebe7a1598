/**
 * The project a command runs in: its config file (found by walking up, or `--config`) and its
 * event store (`--store`, `--no-store`). Options merge in one place: flags, then the config, then
 * Norce's defaults.
 */

import { StoreError, UsageError } from "../shared/errors.js";
import { findConfig, type LoadedConfig, loadConfig } from "../store/config.js";
import type { EventStore } from "../store/db.js";
import { resolveStorePath } from "../store/location.js";
import type { GlobalOptions } from "./globals.js";
import { say } from "./output.js";

export interface Project {
  config: LoadedConfig | undefined;
  /** Where the store is (undefined with --no-store). */
  storePath: string | undefined;
  /** Open the store (once); undefined with --no-store. */
  store(options?: { mustExist?: boolean; readOnly?: boolean }): Promise<EventStore | undefined>;
  close(): Promise<void>;
}

export function loadProject(globals: GlobalOptions): Project {
  const configPath = globals.config ?? findConfig();
  const config = configPath ? loadConfig(configPath) : undefined;
  const storePath = resolveStorePath({ store: globals.store, config });
  let opened: EventStore | undefined;
  return {
    config,
    storePath,
    async store(options = {}) {
      if (!storePath) return undefined;
      if (!opened) {
        const { EventStore } = await import("../store/db.js");
        opened = EventStore.open(storePath, {
          ...(globals.retention === undefined ? {} : { retentionMs: globals.retention }),
          ...(options.mustExist ? { mustExist: true } : {}),
          ...(options.readOnly ? { readOnly: true } : {}),
        });
        opened.onError = (error) =>
          say(`warning: ${error.message}; going on without recording (${error.hint ?? ""})`);
      }
      return opened;
    },
    async close() {
      await opened?.close();
    },
  };
}

/**
 * The store, for a command that reads it: a usage error with --no-store, a failure when there is
 * none. `readOnly` (log, show): opened without writing anything, so a read-only store works.
 */
export async function storeToRead(
  project: Project,
  command: string,
  options: { readOnly?: boolean } = {},
): Promise<EventStore> {
  if (!project.storePath) {
    throw new UsageError(`${command} reads the event store, and --no-store turns it off`);
  }
  return (await project.store({ mustExist: true, ...options }))!;
}

/**
 * A stored event by message id (or its first characters). An id that is not there is a failed
 * lookup (exit 1); a prefix that matches several is input to fix (a usage error, from `find`).
 */
export function findStoredEvent(store: EventStore, messageId: string) {
  if (messageId.trim() === "") {
    throw new UsageError("the message id is empty", {
      hint: "give the id or its first characters, e.g. 7e57a11d; norce-event log lists them",
    });
  }
  const found = store.find(messageId);
  if (!found && messageId.trim().length < 4) {
    throw new UsageError(`"${messageId.trim()}" is too short to look up`, {
      hint: "give the whole message id or at least its first 4 characters",
    });
  }
  if (!found) {
    throw new StoreError(store.path, `no event with message id ${messageId}`, {
      hint: "norce-event log lists the stored ones, kept 7 days",
    });
  }
  return found;
}
