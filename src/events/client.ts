/**
 * The tenant every event carries. A Norce client has one ClientId and a few ApplicationIds (one per
 * site or market), and every event it sends carries them; a receiver commonly checks them. So a run
 * never draws them at random: they come from the project config (`client`), from
 * `--client-id`/`--application-id`, or from the stable defaults below.
 */
import { UsageError } from "../shared/errors.js";
import { deriveSeed, Rng } from "./rng.js";

export interface ClientIdentity {
  /** Norce's ClientId (int32), the same on every event. */
  clientId: number;
  /** The client's ApplicationIds (int32); an event carries one of them. At least one. */
  applicationIds: readonly number[];
}

/**
 * The defaults without a config: drawn once from a fixed seed ("Norc"), so they are the same on
 * every machine, in every run and for every `--seed`. Sizes as the generator draws them.
 */
export const DEFAULT_CLIENT: Readonly<ClientIdentity> = (() => {
  const rng = new Rng(deriveSeed(0x4e6f7263, 0));
  const clientId = rng.int(1000, 9999);
  const first = rng.int(1000, 9989);
  return Object.freeze({ clientId, applicationIds: Object.freeze([first, first + rng.int(1, 9)]) });
})();

const INT32_MAX = 2 ** 31 - 1;

/** Check a tenant (from a file or flags); a usage error names what is wrong. */
export function checkClient(client: ClientIdentity, where = "client"): ClientIdentity {
  const ok = (n: unknown) =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= INT32_MAX;
  if (!ok(client.clientId)) {
    throw new UsageError(`${where}: ClientId ${client.clientId} is not a positive int32`, {
      hint: "Norce's ClientId is a whole number, e.g. 1001",
    });
  }
  if (client.applicationIds.length === 0 || !client.applicationIds.every(ok)) {
    throw new UsageError(
      `${where}: ApplicationIds must be one or more positive int32s, not [${client.applicationIds.join(", ")}]`,
      { hint: "e.g. --application-id 1201 or --application-id 1201,1202" },
    );
  }
  return client;
}

/**
 * The ApplicationId of payload `index` of a run with `seed`: one of the client's, chosen by the
 * seed (a stream of its own, so every other value of the payload is what it was).
 */
export function pickApplicationId(client: ClientIdentity, seed: number, index: number): number {
  const ids = client.applicationIds;
  if (ids.length === 1) return ids[0]!;
  return ids[deriveSeed(seed ^ 0x41707049, index) % ids.length]!;
}

/**
 * Put the tenant on a payload (in place): ClientId always (it is required on every type),
 * ApplicationId where the payload has one (it is optional on notifications and kept as drawn).
 */
export function applyClient(
  payload: Record<string, unknown>,
  client: ClientIdentity,
  applicationId: number,
): Record<string, unknown> {
  if ("ClientId" in payload) payload.ClientId = client.clientId;
  if ("ApplicationId" in payload) payload.ApplicationId = applicationId;
  return payload;
}

/** "ClientId 4711, ApplicationId 1201" or "ApplicationIds 1201, 1205", for a person. */
export function describeClient(client: ClientIdentity): string {
  const apps = client.applicationIds;
  return `ClientId ${client.clientId}, ApplicationId${apps.length === 1 ? "" : "s"} ${apps.join(", ")}`;
}
