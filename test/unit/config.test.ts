import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findConfig, loadConfig, settingsFor } from "../../src/store/config.js";
import { resolveStorePath } from "../../src/store/location.js";
import { resolveTemplate, restoreHeaders, toStoredHeaders } from "../../src/store/templates.js";

function dir() {
  return mkdtempSync(join(tmpdir(), "norce-event-config-"));
}

describe("project config", () => {
  it("is found by walking up from the working directory", () => {
    const root = dir();
    writeFileSync(join(root, "norce-event.config.json"), "{}");
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    expect(findConfig(deep)).toBe(join(root, "norce-event.config.json"));
    expect(findConfig(dir())).toBeUndefined();
  });

  it("merges a type's settings over the defaults; unlisted types are on", () => {
    const root = dir();
    const file = join(root, "norce-event.config.json");
    writeFileSync(
      file,
      JSON.stringify({
        url: "http://localhost:3000/receiver",
        headers: { Authorization: "Bearer ${NORCE_TOKEN}", "X-Shop": "a" },
        events: {
          SkuChangedNotification: { enabled: false },
          OrderConfirmedEvent: { url: "http://localhost:4000/orders", headers: { "X-Shop": "b" } },
        },
      }),
    );
    const config = loadConfig(file);
    expect(settingsFor(config, "OrderConfirmedEvent")).toEqual({
      enabled: true,
      url: "http://localhost:4000/orders",
      headers: { Authorization: "Bearer ${NORCE_TOKEN}", "X-Shop": "b" },
    });
    expect(settingsFor(config, "SkuChangedNotification").enabled).toBe(false);
    expect(settingsFor(config, "JobCompletedEvent")).toMatchObject({
      enabled: true,
      url: "http://localhost:3000/receiver",
    });
    expect(settingsFor(undefined, "JobCompletedEvent")).toEqual({
      enabled: true,
      url: undefined,
      headers: {},
    });
  });

  it("names the file, the JSON path and the problem when malformed", () => {
    const root = dir();
    const file = join(root, "norce-event.config.json");
    const check = (data: string) => {
      writeFileSync(file, data);
      return () => loadConfig(file);
    };
    expect(check("{ nope")).toThrow(/norce-event\.config\.json: \$ is not valid JSON/);
    expect(check('{"timeScale": "fast"}')).toThrow(/\$\.timeScale must be a number/);
    expect(check('{"headers": {"X": 1}}')).toThrow(/\$\.headers\.X must be a string/);
    expect(check('{"events": {"OrderConfirmedEvnt": {}}}')).toThrow(
      /did you mean OrderConfirmedEvent\?/,
    );
    expect(check('{"events": {"OrderConfirmedEvent": {"on": true}}}')).toThrow(
      /unknown setting "on"/,
    );
    expect(check('{"colour": true}')).toThrow(/unknown setting "colour"/);
  });

  it("resolves ${VAR} at send time and refuses an unset one, naming it", () => {
    expect(resolveTemplate("Bearer ${T}", { field: "x" }, { T: "abc" })).toBe("Bearer abc");
    expect(resolveTemplate("cost $${5}", { field: "x" }, {})).toBe("cost ${5}");
    expect(() =>
      resolveTemplate(
        "Bearer ${NOPE}",
        { file: "norce-event.config.json", field: "headers.Authorization" },
        {},
      ),
    ).toThrow("norce-event.config.json: ${NOPE} is not set (used in headers.Authorization)");
  });

  it("stores templates and masked secrets, never a literal secret; restoring asks for it again", () => {
    const stored = toStoredHeaders({
      Authorization: "Bearer literal-token-123456",
      "X-Api-Key": "${KEY}",
      "X-Shop": "nordic",
    });
    expect(stored).toEqual([
      { name: "Authorization", masked: "Bearer ••••3456" },
      { name: "X-Api-Key", template: "${KEY}" },
      { name: "X-Shop", template: "nordic" },
    ]);
    process.env.KEY = "k-1";
    expect(() => restoreHeaders(stored, {}, "event 1")).toThrow(
      /header Authorization of event 1 cannot be restored/,
    );
    expect(restoreHeaders(stored, { authorization: "Bearer again" }, "event 1")).toEqual({
      "X-Api-Key": "k-1",
      "X-Shop": "nordic",
      authorization: "Bearer again",
    });
    delete process.env.KEY;
  });

  it("puts the store beside the config unless told otherwise", () => {
    const config = { path: "/p/norce-event.config.json", shown: "", dir: "/p", data: {} };
    expect(resolveStorePath({ config, env: {} })).toBe("/p/.norce-event/events.db");
    expect(resolveStorePath({ cwd: "/w", env: {} })).toBe("/w/.norce-event/events.db");
    expect(resolveStorePath({ config, env: { NORCE_EVENT_STORE: "/e/x.db" } })).toBe("/e/x.db");
    expect(
      resolveStorePath({ store: "/s/y.db", config, env: { NORCE_EVENT_STORE: "/e/x.db" } }),
    ).toBe("/s/y.db");
    expect(resolveStorePath({ store: false, config })).toBeUndefined();
  });
});
