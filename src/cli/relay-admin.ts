/** Talking to a relay's admin endpoints (POST /channels, GET /status), signed with the secret. */
import { request } from "undici";
import { explainNetworkError } from "../delivery/explain.js";
import { ADMIN_SCOPE, AUTH_HEADER, printable, signAuth } from "../relay/protocol.js";
import { NorceEventError, UsageError } from "../shared/errors.js";
import { relayPath } from "./relay-options.js";

export async function callRelay(
  base: URL,
  secret: string,
  method: "GET" | "POST",
  path: string,
): Promise<unknown> {
  const url = relayPath(base, path);
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, {
      method,
      headers: { [AUTH_HEADER]: signAuth(secret, ADMIN_SCOPE) },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
  } catch (error) {
    const explained = explainNetworkError(error, url);
    throw new NorceEventError(`cannot reach the relay at ${base.origin}: ${explained.message}`, {
      code: "NORCE_EVENT_RELAY_UNREACHABLE",
      hint: "is `norce-event relay` running there?",
    });
  }
  const text = (await res.body.text()).slice(0, 2000);
  if (res.statusCode === 401) {
    throw new UsageError(`the relay refused the secret (${printable(text.trim())})`, {
      hint: "use the relay's --secret (NORCE_RELAY_SECRET), and check this machine's clock",
    });
  }
  if (res.statusCode >= 300) {
    throw new NorceEventError(
      `the relay answered ${res.statusCode} to ${method} ${path}: ${printable(text.trim())}`,
      { code: "NORCE_EVENT_RELAY_FAILED", hint: "is that URL a norce-event relay?" },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new NorceEventError(`the relay's answer to ${path} is not JSON`, {
      code: "NORCE_EVENT_RELAY_FAILED",
      hint: "is that URL a norce-event relay?",
    });
  }
}
