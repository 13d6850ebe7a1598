// Imports norce-event/receiver, notes which modules were loaded, then receives one event (which
// loads the validator). Run with a module-logging loader hook (see receiver.test.ts).
import { readFileSync } from "node:fs";

const { createReceiver } = await import("norce-event/receiver");
const before = readFileSync(process.env.MODULE_LOG, "utf8");
const receiver = createReceiver({ auth: { value: "Bearer t0ken!" } });
receiver.on("OrderConfirmedEvent", () => {});
const result = await receiver.receive({
  headers: {
    "norce-event-message-id": "6f1c0a3e-1111-4222-8333-444455556666",
    "norce-event-type": "OrderConfirmedEvent",
    "norce-event-timestamp": "2025-11-16T07:32:28.326837+01:00",
    authorization: "Bearer t0ken!",
  },
  body: JSON.stringify({
    ClientId: 1,
    ApplicationId: 2,
    OrderId: 3,
    OrderNo: "SO1",
    ClientOrderRef: "B1",
    Source: "WEB",
  }),
});
process.stdout.write(JSON.stringify({ status: result.status, before: before.trim().split("\n") }));
