import express from "express";
import { createReceiver } from "norce-event/receiver";

const receiver = createReceiver({
  auth: { header: "Authorization", value: `Bearer ${process.env.TOKEN}` },
});

receiver.on("OrderConfirmedEvent", async (event) => {
  // Runs once per message, however often Norce redelivers it; throw, and Norce retries.
  console.log(`order ${JSON.stringify(event.payload.OrderNo)} confirmed`);
});

const app = express();
app.post("/receiver", receiver.express());
// 127.0.0.1 while developing; leave the host out to take Norce's traffic.
const server = app.listen(process.env.PORT ?? 3000, "127.0.0.1", () => {
  console.log(`receiving on http://localhost:${server.address().port}/receiver`);
});
