/**
 * `startRelay` for the library: the relay's module (SQLite, the WebSocket server) is loaded only
 * when a relay is started, so importing norce-event stays cheap.
 */
import type { Relay, RelayOptions } from "./server.js";

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { startRelay: start } = await import("./server.js");
  return start(options);
}
