// Prints how long importing norce-event/receiver and making a receiver take, in milliseconds.
await import("./warm.mjs");
const started = performance.now();
const { createReceiver } = await import("norce-event/receiver");
createReceiver({ auth: { value: "Bearer t0ken!" } }).on("OrderConfirmedEvent", () => {});
process.stdout.write(String(performance.now() - started));
