// The listening benchmark's requests, built once before any timed run: distinct valid
// OrderConfirmedEvent deliveries (Norce's three headers, a fresh message id and payload each),
// serialised to the exact bytes sent. The load generator then only writes these buffers, cycling
// through them; no JavaScript runs per request to make one.
//
// Why 20,000 by default: the listener remembers the last 10,000 message ids to recognise retries
// (src/listener/retries.ts, RETRY_MEMORY). Cycling more ids than that, every id has been forgotten
// before it comes back, so every request is a first delivery, as with a fresh id each time;
// cycling fewer would turn the run into a retry storm and measure a different code path.
import { fakeEvent } from "../../dist/index.js";

export const DISTINCT = 20_000;

/**
 * `count` distinct events as { messageId, headers, body, buffer } for a POST to `url`'s path.
 * The Host header names the loopback host without the port, so one set serves every server.
 */
export function buildRequests(url, count = DISTINCT) {
  const target = new URL(url);
  const requests = [];
  for (let index = 0; index < count; index++) {
    const event = fakeEvent("OrderConfirmedEvent", { seed: 1, index });
    const body = JSON.stringify(event.payload);
    const headers = {
      host: target.hostname,
      "content-type": "application/json; charset=utf-8",
      "Norce-Event-Message-Id": event.messageId,
      "Norce-Event-Type": event.type,
      "Norce-Event-Timestamp": event.timestamp,
    };
    const head =
      `POST ${target.pathname}${target.search} HTTP/1.1\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("") +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    requests.push({
      messageId: event.messageId,
      headers,
      body,
      buffer: Buffer.from(head + body),
    });
  }
  return requests;
}
