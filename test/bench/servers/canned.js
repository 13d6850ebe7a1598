// The load generator's ceiling: the least work a server can do per request. A raw `net` server
// that finds each request's end (header block, then content-length bytes of body) and writes a
// fixed, pre-built HTTP response for it, one write per chunk read. Whatever rate a load generator
// reaches against this is the most it can offer any server on this machine.
import { createServer } from "node:net";

const RESPONSE = Buffer.from(
  "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nKeep-Alive: timeout=65\r\n\r\nAccepted",
);
// Pre-built runs of responses, so a chunk holding n requests is answered with one write.
const RUNS = [Buffer.alloc(0)];
for (let n = 1; n <= 256; n++) RUNS.push(Buffer.concat([RUNS[n - 1], RESPONSE]));
const END = Buffer.from("\r\n\r\n");
const LENGTH = [Buffer.from("content-length:"), Buffer.from("Content-Length:")];

/** Where the request starting at `at` ends, or -1 when `buffer` does not hold all of it yet. */
function requestEnd(buffer, at) {
  const head = buffer.indexOf(END, at);
  if (head < 0) return -1;
  let length = 0;
  for (const name of LENGTH) {
    const found = buffer.indexOf(name, at);
    if (found >= 0 && found < head) {
      let i = found + name.length;
      while (buffer[i] === 0x20) i++;
      while (buffer[i] >= 0x30 && buffer[i] <= 0x39) length = length * 10 + buffer[i++] - 0x30;
      break;
    }
  }
  const end = head + 4 + length;
  return end <= buffer.length ? end : -1;
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let rest = null;
  socket.on("data", (chunk) => {
    const buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    let answered = 0;
    for (let end = requestEnd(buffer, at); end >= 0; end = requestEnd(buffer, at)) {
      at = end;
      if (++answered === 256) {
        socket.write(RUNS[answered]);
        answered = 0;
      }
    }
    if (answered > 0) socket.write(RUNS[answered]);
    rest = at < buffer.length ? Buffer.from(buffer.subarray(at)) : null;
  });
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => {
  process.stderr.write(`listening on http://127.0.0.1:${server.address().port}/receiver\n`);
});
process.on("SIGINT", () => process.exit(0));
