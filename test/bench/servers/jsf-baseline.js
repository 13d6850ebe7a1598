// The generation baseline: plain json-schema-faker on the same fixture schema, one seeded
// payload at a time, written as JSON lines (as `generate --count` writes them).
import { readFileSync } from "node:fs";
import { generateSync } from "json-schema-faker";

const [type, n = "20000"] = process.argv.slice(2);
const schema = JSON.parse(
  readFileSync(new URL(`../../../fixtures/events/${type}.schema.json`, import.meta.url), "utf8"),
);
let buffer = "";
for (let i = 0; i < Number(n); i++) {
  buffer += `${JSON.stringify(generateSync(schema, { seed: i + 1 }))}\n`;
  if (buffer.length > 65536) {
    process.stdout.write(buffer);
    buffer = "";
  }
}
process.stdout.write(buffer);
