/**
 * The project a command runs in: its config file (found by walking up, or `--config`) and its
 * event store (`--store`, `--no-store`). Options merge in one place: flags, then the config, then
 * Norce's defaults.
 */

import { findConfig, type LoadedConfig, loadConfig } from "../store/config.js";
import type { EventStore } from "../store/db.js";
import { resolveStorePath } from "../store/location.js";
import type { GlobalOptions } from "./main.js";
import { say } from "./output.js";

export interface Project {
  config: LoadedConfig | undefined;
  /** Where the store is (undefined with --no-store). */
  storePath: string | undefined;
  /** Open the store (once); undefined with --no-store. */
  store(options?: { mustExist?: boolean }): Promise<EventStore | undefined>;
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
