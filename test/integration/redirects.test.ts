/**
 * Credentials and redirects through the library: a redirect to another origin does not carry the
 * static headers named like credentials, unless `keepAuthOnRedirect`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fakeEvent } from "../../src/events/factory.js";
import { deliver } from "../../src/library.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

const receivers: TestReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function redirectingTo(location: () => string): Promise<TestReceiver> {
  const r = await startReceiver((req, res) => {
    if (req.path === "/r") {
      res.writeHead(308, { location: location() });
      res.end();
    } else {
      res.writeHead(202);
      res.end("ok");
    }
  });
  receivers.push(r);
  return r;
}

const headers = {
  Authorization: "Bearer library-token-1234",
  Cookie: "session=abc",
  "X-Functions-Key": "fn-key-5678",
  "X-Tenant": "acme",
};

describe("deliver: credentials on a redirect", () => {
  it("drops them when the redirect leaves the origin, and says so on the attempt", async () => {
    const target = await startReceiver(accept());
    receivers.push(target);
    const from = await redirectingTo(() => `${target.url}/x`);
    const result = await deliver(fakeEvent("OrderConfirmedEvent", { seed: 1 }), {
      to: `${from.url}/r`,
      headers,
      retry: false,
    });
    expect(result.delivered).toBe(true);
    const got = target.requests[0]!.headers;
    expect(got.authorization).toBeUndefined();
    expect(got.cookie).toBeUndefined();
    expect(got["x-functions-key"]).toBeUndefined();
    expect(got["x-tenant"]).toBe("acme");
    expect(result.attempts[0]?.redirects[0]).toMatchObject({
      status: 308,
      crossOrigin: true,
      dropped: ["Authorization", "Cookie", "X-Functions-Key"],
    });
  });

  it("keeps them on the same origin, and everywhere with keepAuthOnRedirect", async () => {
    const same = await redirectingTo(() => "/x");
    await deliver(fakeEvent("OrderConfirmedEvent", { seed: 1 }), {
      to: `${same.url}/r`,
      headers,
      retry: false,
    });
    expect(same.requests[1]?.headers.authorization).toBe("Bearer library-token-1234");

    const target = await startReceiver(accept());
    receivers.push(target);
    const from = await redirectingTo(() => `${target.url}/x`);
    const result = await deliver(fakeEvent("OrderConfirmedEvent", { seed: 1 }), {
      to: `${from.url}/r`,
      headers,
      retry: false,
      keepAuthOnRedirect: true,
    });
    expect(target.requests[0]?.headers.authorization).toBe("Bearer library-token-1234");
    expect(target.requests[0]?.headers.cookie).toBe("session=abc");
    expect(result.attempts[0]?.redirects[0]?.dropped).toBeUndefined();
    expect(result.attempts[0]?.redirects[0]?.kept).toEqual([
      "Authorization",
      "Cookie",
      "X-Functions-Key",
    ]);
  });
});
