/**
 * The shared things a scenario's events are about: one order, customer, company, product, price
 * list, supplier, job, subscription or invoice, made once per run from the seed with the same
 * realistic fakers the generator uses, so every event about it carries the same ids.
 *
 * A name is a kind with an optional number (`product`, `product2`): each is its own entity.
 */
import type { PropertySchema } from "../events/catalog.js";
import { FAKERS, FakeContext } from "../events/fakers.js";
import { deriveSeed, Rng } from "../events/rng.js";

export const ENTITY_KINDS = [
  "order",
  "customer",
  "company",
  "product",
  "pricelist",
  "supplier",
  "job",
  "subscription",
  "invoice",
] as const;

export type EntityKind = (typeof ENTITY_KINDS)[number];

export type Entity = Record<string, string | number>;

const NO_SCHEMA = {} as PropertySchema;

/** Each kind's fields (payload property names) and the faker that makes each. */
const FIELDS: Record<EntityKind, readonly (readonly [string, string])[]> = {
  order: [
    ["OrderId", "orderId"],
    ["OrderNo", "erpOrderNo"],
    ["Source", "orderSource"],
    ["ClientOrderRef", "clientOrderRef"],
    ["FirstName", "firstName"],
    ["LastName", "lastName"],
    ["CellPhone", "mobilePhone"],
    ["Email", "email"],
    ["CurrencyCode", "currencyCode"],
    ["Amount", "amount"],
    ["PaymentCode", "paymentCode"],
    ["PaymentMethodCode", "paymentMethodCode"],
    ["PaymentRef", "paymentRef"],
    ["DropPointCode", "dropPointCode"],
  ],
  customer: [
    ["CustomerId", "customerId"],
    ["FirstName", "firstName"],
    ["LastName", "lastName"],
    ["Email", "email"],
    ["CellPhone", "mobilePhone"],
  ],
  company: [["CompanyId", "companyId"]],
  product: [
    ["PartNo", "partNo"],
    ["WarehouseId", "warehouseId"],
    ["WarehouseCode", "warehouseCode"],
    ["LocationId", "locationId"],
    ["LocationCode", "locationCode"],
    ["MinimumValue", "minimumValue"],
    ["OnHandValue", "onHandValue"],
  ],
  pricelist: [
    ["PricelistId", "pricelistId"],
    ["PricelistCode", "pricelistCode"],
  ],
  supplier: [["SupplierId", "supplierId"]],
  job: [["JobId", "jobId"]],
  subscription: [
    ["SubscriptionId", "subscriptionId"],
    ["RecurringOrderId", "recurringOrderId"],
    ["RecurringOrderScheduleId", "recurringOrderScheduleId"],
    ["BasketId", "basketId"],
    ["FirstName", "firstName"],
    ["LastName", "lastName"],
    ["Email", "email"],
    ["CellPhone", "mobilePhone"],
    ["ErrorMessage", "subscriptionError"],
  ],
  invoice: [["CapturedInvoiceId", "invoiceId"]],
};

/**
 * Fields the order has under another name on some events (modeled; see the built-ins' `modeled`):
 * OrderPaymentReceivedEvent's ErpOrderNo is the OrderNo the other order events carry.
 */
const ALIASES: Record<string, Record<string, string>> = {
  order: { ErpOrderNo: "OrderNo" },
};

/** `product2` → `product`; undefined for a name that is not an entity. */
export function entityKind(name: string): EntityKind | undefined {
  const match = /^([a-z]+?)(\d*)$/.exec(name);
  const kind = match?.[1];
  return kind && (ENTITY_KINDS as readonly string[]).includes(kind)
    ? (kind as EntityKind)
    : undefined;
}

/** The fields an entity of `kind` has (aliases included). */
export function entityFields(kind: EntityKind): string[] {
  return [...FIELDS[kind].map(([name]) => name), ...Object.keys(ALIASES[kind] ?? {})];
}

/** Make entity `name` of run `seed`, repetition `repetition` (same inputs, same values). */
export function makeEntity(name: string, seed: number, repetition: number): Entity {
  const kind = entityKind(name);
  if (!kind) throw new RangeError(`not an entity: ${name}`);
  const rng = new Rng(deriveSeed(deriveSeed(seed, repetition), hash(name)));
  const ctx = new FakeContext(rng);
  const entity: Entity = {};
  for (const [field, faker] of FIELDS[kind]) {
    entity[field] = FAKERS[faker]!(ctx, NO_SCHEMA) as string | number;
  }
  for (const [alias, field] of Object.entries(ALIASES[kind] ?? {})) entity[alias] = entity[field]!;
  return entity;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
