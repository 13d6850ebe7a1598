/**
 * Type tests for `norce-event/receiver`: `npm run typecheck` compiles this file against the built
 * package (the `./receiver` export), and every `@ts-expect-error` must be an error. Never run.
 */
import {
  createReceiver,
  type DedupeStore,
  type ReceiveResult,
  type ReceiverEvent,
} from "norce-event/receiver";

const receiver = createReceiver({ auth: { value: `Bearer ${process.env.NORCE_TOKEN}` } });

receiver.on("OrderConfirmedEvent", (e) => {
  const orderNo: string = e.payload.OrderNo;
  const id: number = e.payload.OrderId;
  const messageId: string = e.messageId;
  const attempt: number | undefined = e.attempt;
  // @ts-expect-error OrderNo is a string
  const wrong: number = e.payload.OrderNo;
  // @ts-expect-error an OrderConfirmedEvent has no PartNo
  e.payload.PartNo;
  return [orderNo, id, messageId, attempt, wrong];
});

// @ts-expect-error not one of Norce's event types
receiver.on("OrderConfirmed", () => {});
// @ts-expect-error a typo in one name of a list
receiver.on(["OrderConfirmedEvent", "OrderCancelldEvent"], () => {});

// A list gives the union of its types; a switch on `type` narrows the payload.
receiver.on(["OrderConfirmedEvent", "SkuChangedNotification"], (e) => {
  switch (e.type) {
    case "OrderConfirmedEvent":
      return e.payload.OrderNo.toUpperCase();
    case "SkuChangedNotification":
      return e.payload.PartNo.toUpperCase();
    default: {
      const never: never = e;
      return never;
    }
  }
});

// "*" gets every known type.
receiver.on("*", (e: ReceiverEvent) => e.type);

const off: () => void = receiver.on("JobCompletedEvent", (e) => {
  const status: 1 | 2 | 3 | 4 | 5 | 6 = e.payload.StatusId;
  return status;
});
off();

// @ts-expect-error auth is required
createReceiver({});
createReceiver({ auth: false, validate: "warn", queue: "background", timeoutMs: 3000 });
// @ts-expect-error queue is "inline" or "background"
createReceiver({ auth: false, queue: "later" });

const redisLike: DedupeStore = {
  claim: async () => "new" as const,
  complete: async () => {},
  release: async () => {},
};
createReceiver({ auth: false, dedupe: redisLike, onUnknown: (e) => e.type });

async function any(): Promise<ReceiveResult> {
  return receiver.receive({ headers: new Headers(), body: "{}" });
}

export { any };
