/**
 * Realistic values for the fields of Norce events: what a Nordic shop on Norce Commerce sends, not
 * schema filler. Each fixture property names its generator in `x-norce-faker`; the generator
 * compiles those names into functions once per schema (see `generator.ts`).
 *
 * Contact details are safe to receive: e-mail domains are the ones RFC 2606 reserves
 * (example.com/.net/.org) and Swedish mobile numbers come from the range the Swedish Post and
 * Telecom Authority (PTS) reserves for fiction, +46 70-174 06 05…99, so a receiver that sends real
 * confirmation texts or mails never reaches a person. Norway publishes no such range: Norwegian
 * numbers follow the mobile format (+47 4xx / 9xx) and may exist.
 */
import type { PropertySchema } from "./catalog.js";
import type { Rng } from "./rng.js";

type Market = "SE" | "NO";

interface Buyer {
  market: Market;
  firstName: string;
  lastName: string;
}

/** Per-payload state, so related fields agree (the e-mail matches the name, the ref the source). */
export class FakeContext {
  readonly rng: Rng;
  private currency: string | undefined;
  private buyer: Buyer | undefined;
  private source: string | undefined;
  private paymentMethod: string | undefined;
  private minimum: number | undefined;

  constructor(rng: Rng) {
    this.rng = rng;
  }

  getCurrency(): string {
    this.currency ??= this.rng.weighted(CURRENCIES);
    return this.currency;
  }

  getBuyer(): Buyer {
    if (!this.buyer) {
      const currency = this.getCurrency();
      const market: Market =
        currency === "NOK" ? "NO" : currency === "SEK" ? "SE" : this.rng.chance(0.6) ? "SE" : "NO";
      const names = NAMES[market];
      this.buyer = {
        market,
        firstName: this.rng.pick(names.first),
        lastName: this.rng.pick(names.last),
      };
    }
    return this.buyer;
  }

  getSource(): string {
    this.source ??= this.rng.weighted(SOURCES);
    return this.source;
  }

  getPaymentMethod(): string {
    this.paymentMethod ??= this.rng.weighted(PAYMENT_METHODS[this.getBuyer().market]);
    return this.paymentMethod;
  }

  getMinimum(): number {
    this.minimum ??= this.rng.pick([2, 5, 5, 10, 10, 20, 25, 50]);
    return this.minimum;
  }
}

export type Faker = (ctx: FakeContext, schema: PropertySchema) => unknown;

// Currencies Norce shops in the Nordics price in (amounts are always in one of these).
const CURRENCIES = [
  ["SEK", 55],
  ["NOK", 25],
  ["DKK", 12],
  ["EUR", 8],
] as const;

// "'WEB' for Norce orders, name of marketplace or POS system is also possible" (Source, in the
// OpenAPI field description): mostly WEB, sometimes a Nordic marketplace or a POS system.
const SOURCES = [
  ["WEB", 80],
  ["CDON", 4],
  ["Fyndiq", 3],
  ["Amazon", 3],
  ["Zalando", 3],
  ["Boozt", 2],
  ["Sitoo POS", 3],
  ["Extenda Retail", 2],
] as const;

const PAYMENT_METHODS: Record<Market, readonly (readonly [string, number])[]> = {
  SE: [
    ["KlarnaCheckout", 45],
    ["Swish", 25],
    ["AdyenCard", 15],
    ["Walley", 10],
    ["Qliro", 5],
  ],
  NO: [
    ["Vipps", 40],
    ["KlarnaCheckout", 35],
    ["AdyenCard", 20],
    ["Walley", 5],
  ],
};

const NAMES: Record<Market, { first: readonly string[]; last: readonly string[] }> = {
  SE: {
    first: [
      "Anna",
      "Eva",
      "Maria",
      "Karin",
      "Sara",
      "Lena",
      "Emma",
      "Elin",
      "Ebba",
      "Linnéa",
      "Maja",
      "Astrid",
      "Åsa",
      "Sofia",
      "Hanna",
      "Ida",
      "Erik",
      "Lars",
      "Karl",
      "Anders",
      "Johan",
      "Per",
      "Nils",
      "Björn",
      "Mikael",
      "Oskar",
      "Magnus",
      "Henrik",
      "Gustav",
      "Axel",
      "Olof",
      "Jörgen",
    ],
    last: [
      "Andersson",
      "Johansson",
      "Karlsson",
      "Nilsson",
      "Eriksson",
      "Larsson",
      "Olsson",
      "Persson",
      "Svensson",
      "Gustafsson",
      "Pettersson",
      "Jonsson",
      "Lindberg",
      "Lindqvist",
      "Bergström",
      "Lundgren",
      "Sjöberg",
      "Åberg",
      "Öberg",
      "Holm",
      "Ekström",
      "Wallin",
      "Sandberg",
      "Forsberg",
    ],
  },
  NO: {
    first: [
      "Kari",
      "Ingrid",
      "Sigrid",
      "Nora",
      "Solveig",
      "Marit",
      "Ragnhild",
      "Ingeborg",
      "Thea",
      "Silje",
      "Ole",
      "Jonas",
      "Håkon",
      "Øystein",
      "Kristian",
      "Sindre",
      "Eirik",
      "Torbjørn",
      "Magnus",
      "Sander",
      "Aksel",
      "Jørgen",
    ],
    last: [
      "Hansen",
      "Johansen",
      "Olsen",
      "Larsen",
      "Andersen",
      "Pedersen",
      "Nilsen",
      "Kristiansen",
      "Jensen",
      "Karlsen",
      "Haugen",
      "Bakken",
      "Solberg",
      "Dahl",
      "Berg",
      "Halvorsen",
      "Lie",
      "Strand",
      "Moen",
      "Aasen",
      "Sæther",
      "Brekke",
    ],
  },
};

const MAIL_DOMAINS = ["example.com", "example.net", "example.org"] as const;

const COLOURS = ["BLK", "WHT", "NVY", "GRY", "RED", "GRN", "BEI", "BLU"] as const;
const SIZES = ["XS", "S", "M", "L", "XL", "36", "38", "40", "42", "44", "OS"] as const;
const WAREHOUSES = [
  "WH-STO",
  "WH-GOT",
  "WH-MMO",
  "WH-OSL",
  "WH-BGO",
  "MAIN",
  "CENTRAL-01",
] as const;
const PRICELISTS = [
  "SE-B2C",
  "NO-B2C",
  "DK-B2C",
  "FI-B2C",
  "SE-B2B",
  "NO-B2B",
  "EU-WHOLESALE",
  "OUTLET-SE",
  "CAMPAIGN-BF",
] as const;

const SUBSCRIPTION_ERRORS = [
  "Payment authorization failed: card expired",
  "Payment authorization failed: insufficient funds",
  "Klarna token is no longer valid",
  "Product {partNo} is out of stock",
  "Product {partNo} is no longer sold",
  "Delivery address could not be validated",
  "Price list is not valid for the customer",
  "Customer account is blocked",
] as const;

function asciiMail(text: string): string {
  return text
    .toLowerCase()
    .replace(/[åäà]/g, "a")
    .replace(/[öø]/g, "o")
    .replace(/æ/g, "ae")
    .replace(/é/g, "e")
    .replace(/[^a-z]/g, "");
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** A price as shops write it: mostly whole kronor, sometimes .50/.90/.95; two decimals at most. */
function price(ctx: FakeContext, min: number, max: number): number {
  const whole = ctx.rng.int(min, max);
  const cents = ctx.rng.weighted([
    [0, 60],
    [0.9, 15],
    [0.95, 10],
    [0.5, 10],
    [ctx.rng.int(1, 99) / 100, 5],
  ]);
  return Math.round((whole + cents) * 100) / 100;
}

function scaleFor(currency: string): number {
  return currency === "EUR" ? 0.1 : 1;
}

function uuid(ctx: FakeContext): string {
  const hex = ctx.rng.chars(32, "0123456789abcdef");
  const variant = "89ab"[ctx.rng.int(0, 3)];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function partNo(ctx: FakeContext): string {
  const rng = ctx.rng;
  return rng.weighted<() => string>([
    [() => `${rng.digits(5)}-${rng.pick(COLOURS)}-${rng.pick(SIZES)}`, 50],
    [() => rng.digits(6), 30],
    [() => `SKU${rng.digits(6)}`, 20],
  ])();
}

/** One realistic value per `x-norce-faker` name in the fixtures. */
export const FAKERS: Readonly<Record<string, Faker>> = {
  // Ids: positive and inside int32 (or JavaScript's safe range for int64), at the sizes a live
  // Norce client has: ClientId and ApplicationId are small, order and customer ids larger.
  clientId: ({ rng }) => rng.int(1000, 9999),
  applicationId: ({ rng }) => rng.int(1000, 9999),
  orderId: ({ rng }) => rng.int(1_000_000, 99_999_999),
  customerId: ({ rng }) => rng.int(10_000, 9_999_999),
  companyId: ({ rng }) => rng.int(1_000, 999_999),
  supplierId: ({ rng }) => rng.int(1, 500),
  invoiceId: ({ rng }) => rng.int(100_000, 99_999_999),
  jobId: ({ rng }) => rng.int(100_000, 9_999_999),
  subscriptionId: ({ rng }) => rng.int(1_000, 999_999),
  recurringOrderId: ({ rng }) => rng.int(1_000, 999_999),
  recurringOrderScheduleId: ({ rng }) => rng.int(1_000, 9_999_999),
  basketId: ({ rng }) => rng.int(1_000_000, 99_999_999),
  warehouseId: ({ rng }) => rng.int(1, 40),
  locationId: ({ rng }) => rng.int(1, 500),
  pricelistId: ({ rng }) => rng.int(1, 300),

  // The order number from the ERP: digits, or a prefix as Business Central and M3 write them.
  erpOrderNo: ({ rng }) =>
    rng.weighted<() => string>([
      [() => rng.digits(8), 60],
      [() => `SO${rng.digits(7)}`, 25],
      [() => `ORD-${rng.digits(7)}`, 15],
    ])(),

  // "the quotation/basket id from Norce or any external order reference": a Norce basket id for
  // web orders, the marketplace's or till's own reference otherwise.
  clientOrderRef: (ctx) => {
    const { rng } = ctx;
    switch (ctx.getSource()) {
      case "WEB":
        return rng.digits(7);
      case "Amazon":
        return `${rng.digits(3)}-${rng.digits(7)}-${rng.digits(7)}`;
      case "CDON":
        return `CDON-${rng.digits(9)}`;
      case "Zalando":
        return rng.digits(14);
      case "Fyndiq":
        return uuid(ctx);
      default:
        return `POS-${pad(rng.int(1, 60), 3)}-${rng.digits(6)}`;
    }
  },
  orderSource: (ctx) => ctx.getSource(),

  firstName: (ctx) => ctx.getBuyer().firstName,
  lastName: (ctx) => ctx.getBuyer().lastName,
  email: (ctx) => {
    const { firstName, lastName } = ctx.getBuyer();
    const first = asciiMail(firstName);
    const last = asciiMail(lastName);
    const local = ctx.rng.weighted<() => string>([
      [() => `${first}.${last}`, 55],
      [() => `${first}.${last}${ctx.rng.int(1, 99)}`, 25],
      [() => `${first[0]}${last}`, 20],
    ])();
    return `${local}@${ctx.rng.pick(MAIL_DOMAINS)}`;
  },
  mobilePhone: (ctx) =>
    ctx.getBuyer().market === "SE"
      ? `+46701740${pad(ctx.rng.int(605, 699), 3)}`
      : `+47${ctx.rng.pick(["4", "9"])}${ctx.rng.chars(7, "0123456789")}`,

  dropPointCode: ({ rng }) =>
    rng.weighted<() => string>([
      [() => rng.digits(6), 50],
      [() => `STORE-${pad(rng.int(1, 80), 3)}`, 30],
      [() => `IB${rng.digits(5)}`, 20],
    ])(),

  // Payments: the code is Norce's own unique id; the reference is the PSP's, in its own shape.
  paymentCode: (ctx) => uuid(ctx),
  paymentMethodCode: (ctx) => ctx.getPaymentMethod(),
  paymentRef: (ctx) => {
    const { rng } = ctx;
    switch (ctx.getPaymentMethod()) {
      case "Swish":
        return rng.chars(32, "0123456789ABCDEF");
      case "AdyenCard":
        return rng.chars(16, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789");
      case "Vipps":
        return `vipps-${rng.digits(10)}`;
      default:
        return uuid(ctx);
    }
  },
  // A paid total: shipping, discounts and VAT leave öre/øre more often than a list price does.
  amount: (ctx) => {
    const scale = scaleFor(ctx.getCurrency());
    const whole = ctx.rng.int(Math.round(49 * scale), Math.round(24_999 * scale));
    const cents = ctx.rng.chance(0.4) ? 0 : ctx.rng.int(1, 99);
    return (whole * 100 + cents) / 100;
  },
  currencyCode: (ctx) => ctx.getCurrency(),

  partNo: (ctx) => partNo(ctx),
  supplierPartNo: ({ rng }) =>
    rng.weighted<() => string>([
      [() => `SUP-${rng.digits(6)}`, 50],
      [() => `${rng.chars(2, "ABCDEFGHKLMNPRSTVX")}-${rng.digits(4)}-${rng.digits(2)}`, 50],
    ])(),
  warehouseCode: ({ rng }) => rng.pick(WAREHOUSES),
  locationCode: ({ rng }) =>
    `${rng.chars(1, "ABCDEFGH")}-${pad(rng.int(1, 40), 2)}-${pad(rng.int(1, 12), 2)}`,
  // A break point is reached: on hand has fallen to (or below) the configured minimum. Zero is
  // left out on purpose: it reads as the docs' placeholder `0` rather than as a stock level.
  minimumValue: (ctx) => ctx.getMinimum(),
  onHandValue: (ctx) => ctx.rng.int(1, ctx.getMinimum()),
  pricelistCode: ({ rng }) => rng.pick(PRICELISTS),
  price: (ctx) => price(ctx, 29, 9_999),
  quantityBreak: ({ rng }) =>
    rng.weighted([
      [1, 60],
      [5, 12],
      [10, 12],
      [25, 8],
      [50, 5],
      [100, 3],
    ]),

  subscriptionError: (ctx) =>
    ctx.rng.pick(SUBSCRIPTION_ERRORS).replace("{partNo}", () => partNo(ctx)),

  // "should be 2, 3 or 4" (StatusId, OpenAPI description): mostly Succeeded.
  jobStatus: (ctx, schema) =>
    enumWeighted(ctx, schema, [
      [2, 85],
      [3, 10],
      [4, 5],
    ]),
  invoiceState: (ctx, schema) =>
    enumWeighted(ctx, schema, [
      ["Captured", 92],
      ["Error", 8],
    ]),
  // The Norce table whose change fired the notification: one of the type's documented values, or
  // for types whose values the docs do not list, one of the modeled ones.
  entityChanged: (ctx, schema) => ctx.rng.pick(schema.enum ?? schema["x-modeled-values"] ?? []),
};

/** Weighted pick, limited to the values the schema's enum allows. */
function enumWeighted<T extends string | number>(
  ctx: FakeContext,
  schema: PropertySchema,
  weights: readonly (readonly [T, number])[],
): T {
  const allowed = schema.enum;
  const usable = allowed ? weights.filter(([value]) => allowed.includes(value)) : weights;
  if (usable.length > 0) return ctx.rng.weighted(usable);
  return ctx.rng.pick((allowed ?? []) as readonly T[]);
}
