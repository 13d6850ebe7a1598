/**
 * What `--forward-to` did, as it may be shown or stored: the app's URL with its credentials
 * masked, and the sender's secrets masked wherever the app's answer or the error repeats them
 * (an app that echoes request headers would otherwise put the sender's token in the log).
 */
import { knownSecrets, maskText, maskUrl } from "../shared/secrets.js";
import type { ReceivedEvent } from "./server.js";

export function maskedForward(event: ReceivedEvent): ReceivedEvent["forwarded"] {
  const f = event.forwarded;
  if (!f) return f;
  return {
    ...f,
    url: maskUrl(f.url),
    response: maskedForwardResponse(event),
    ...(f.error ? { error: maskText(f.error, []) } : {}),
  };
}

/** The app's answer to a relayed event, with the sender's secret header values masked. */
export function maskedForwardResponse(event: ReceivedEvent): string {
  const response = event.forwarded?.response ?? "";
  return response === "" ? response : maskText(response, knownSecrets({ headers: event.headers }));
}
