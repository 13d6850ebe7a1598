// The baseline receiver: a bare node:http server that reads the body and answers one status.
import { createServer } from "node:http";

const status = Number(process.argv[2] ?? 202);
const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(status < 300 ? "Accepted" : "failing on purpose");
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[3] ?? 0), "127.0.0.1", () => {
  process.stderr.write(`listening on http://127.0.0.1:${server.address().port}/receiver\n`);
});
process.on("SIGINT", () => server.close(() => process.exit(0)));
