/**
 * Type tests for the public API: `npm run typecheck` compiles this file against the built
 * package, and every `@ts-expect-error` must be an error.
 */
import {
  connectRelay,
  type DeliverResult,
  deliver,
  type EventPayload,
  eventTypes,
  fakeEvent,
  type NorceEvent,
  type OrderConfirmedEvent,
  retrySchedule,
  runScenario,
  type ScenarioDefinition,
  type ScenarioPlan,
  type ScenarioRun,
  type SkuChangedNotification,
  scenario,
  startListener,
  startRelay,
  validateEvent,
} from "norce-event";

const orderNo: OrderConfirmedEvent["OrderNo"] = "SO1001";
const orderId: OrderConfirmedEvent["OrderId"] = 42;
// @ts-expect-error OrderNo is a string
const wrongOrderNo: OrderConfirmedEvent["OrderNo"] = 1001;
const readsNoSuchField = (payload: OrderConfirmedEvent) =>
  // @ts-expect-error there is no such field
  payload.OrderNumber;

const entity: SkuChangedNotification["EntityChanged"] = "tClientProductSku";
// @ts-expect-error EntityChanged is one of the documented tables
const badEntity: SkuChangedNotification["EntityChanged"] = "tSomethingElse";

const event = fakeEvent("OrderConfirmedEvent", { seed: 1 });
const typed: NorceEvent<"OrderConfirmedEvent"> = event;
const no: string = event.payload.OrderNo;
// @ts-expect-error the payload of an OrderConfirmedEvent has no PartNo
const partNo = event.payload.PartNo;

const payload: EventPayload<"JobCompletedEvent"> = { ClientId: 1, JobId: 2, StatusId: 2 };
// @ts-expect-error StatusId is 1..6
const badStatus: EventPayload<"JobCompletedEvent"> = { ClientId: 1, JobId: 2, StatusId: 9 };

async function usage(): Promise<void> {
  const listener = await startListener({ port: 0, respond: 202 });
  const result: DeliverResult<NorceEvent<"OrderConfirmedEvent">> = await deliver(event, {
    to: listener.url,
    timeout: "5s",
    retry: { timeScale: 1000, maxRetries: 3 },
  });
  const outcome: "delivered" | "dead" | "interrupted" = result.outcome;
  // @ts-expect-error retry takes an object or false
  await deliver(event, { to: listener.url, retry: true });
  const received = await listener.waitFor("OrderConfirmedEvent", { timeout: "1s" });
  const attempt: number = received.attempt;
  const first: string | undefined = eventTypes[0];
  const delay: number | undefined = retrySchedule()[0]?.delayMs;
  const valid: boolean = validateEvent("OrderConfirmedEvent", {}).valid;
  await listener.close();
  void [outcome, attempt, first, delay, valid];
}

async function scenarios(): Promise<void> {
  const plan: ScenarioPlan = scenario("order-lifecycle", { seed: 7, repeat: 2 });
  const type: string = plan.events[0]!.event.type;
  const ref: string | number | undefined = plan.events[0]!.ids.ClientOrderRef;
  const mine: ScenarioDefinition = {
    name: "mine",
    steps: [
      { id: "received", type: "OrderReceivedEvent", with: ["order"] },
      {
        type: "OrderConfirmedEvent",
        after: "10m",
        set: { ClientOrderRef: { ref: "received.ClientOrderRef" } },
      },
    ],
  };
  // @ts-expect-error a step needs a type
  const noType: ScenarioDefinition = { name: "x", steps: [{ id: "a" }] };
  const run: ScenarioRun = await runScenario(mine, {
    to: "http://127.0.0.1:3000/receiver",
    chaos: ["reorder", "duplicates"],
    timeScale: 1000,
  });
  // @ts-expect-error chaos kinds are a fixed list
  await runScenario(plan, { to: "http://127.0.0.1:3000/receiver", chaos: ["shuffle"] });
  const delivered: number = run.delivered;
  const kind: "duplicates" | "reorder" | "retry" | "burst" | undefined = run.chaos[0]?.kind;
  void [type, ref, noType, delivered, kind];
}

async function tunnel(): Promise<void> {
  const relay = await startRelay({ secret: "a-long-shared-secret", port: 0, mode: "buffered" });
  // @ts-expect-error the mode is buffered or live
  await startRelay({ secret: "a-long-shared-secret", mode: "stored" });
  const channel: string = relay.createChannel();
  const connection = connectRelay({
    url: relay.url,
    channel,
    secret: "a-long-shared-secret",
    onEvent: (event) => {
      const bytes: Buffer = event.body;
      const headers: string[] = event.rawHeaders;
      void [bytes, headers];
      return event.live ? { status: 202 } : undefined;
    },
  });
  const waiting: number | undefined = relay.status().channels[0]?.waiting;
  await connection.close();
  await relay.close();
  void waiting;
}

void [
  scenarios,
  readsNoSuchField,
  orderNo,
  orderId,
  wrongOrderNo,
  entity,
  badEntity,
  typed,
  no,
  partNo,
  payload,
  badStatus,
  usage,
  tunnel,
];
