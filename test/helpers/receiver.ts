/** A real node:http receiver on a free port that records what arrives and answers as told. */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request had fully arrived. */
  at: number;
}

export type Handler = (
  request: Received,
  response: ServerResponse,
  index: number,
) => void | Promise<void>;

export interface TestReceiver {
  url: string;
  port: number;
  requests: Received[];
  close(): Promise<void>;
}

export async function startReceiver(handler: Handler = accept()): Promise<TestReceiver> {
  const requests: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const received: Received = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      };
      requests.push(received);
      void handler(received, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function accept(status = 202, body = "accepted"): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(body);
  };
}

export function failFirst(n: number, status = 500): Handler {
  return (_req, res, index) => {
    res.writeHead(index < n ? status : 202);
    res.end(index < n ? "boom: database is down" : "ok");
  };
}

export function never(): Handler {
  return () => undefined;
}
