import { describe, expect, it } from "vitest";
import { safe, safeBlock } from "../../src/cli/render/safe.js";
import {
  isSecretHeader,
  knownSecrets,
  maskHeaders,
  maskPath,
  maskText,
  maskUrl,
} from "../../src/shared/secrets.js";
import { restoreHeaders, restoreUrl } from "../../src/store/templates.js";

describe("secret header names", () => {
  it("match by pattern in any case, not by a fixed list", () => {
    for (const name of [
      "Authorization",
      "authorization",
      "X-Authorization",
      "Authentication",
      "Proxy-Authorization",
      "X-Api-Key",
      "Ocp-Apim-Subscription-Key",
      "X-Auth-Token",
      "x-access-token",
      "Client-Secret",
      "X-Password",
      "Webhook-Signature",
      "Cookie",
      "Set-Cookie",
      "X-Session-Id",
    ]) {
      expect(isSecretHeader(name), name).toBe(true);
    }
    for (const name of [
      "Content-Type",
      "Accept",
      "User-Agent",
      "Norce-Event-Message-Id",
      "Norce-Event-Type",
      "X-Tenant",
      "Keep-Alive",
    ]) {
      expect(isSecretHeader(name), name).toBe(false);
    }
  });

  it("maskHeaders hides X-Authorization and Authentication as well as Authorization", () => {
    expect(
      maskHeaders({
        "X-Authorization": "Bearer abcdefghijklmnop1234",
        Authentication: "s3cr3t-value",
        "X-Tenant": "acme",
      }),
    ).toEqual({
      "X-Authorization": "Bearer ••••1234",
      Authentication: "••••",
      "X-Tenant": "acme",
    });
  });
});

describe("credentials in URLs", () => {
  it("masks the user info and secret query parameters, leaving the rest as written", () => {
    expect(maskUrl("https://user:pw-secret@example.com/hook?token=abc123&x=1#f")).toBe(
      "https://user:••••@example.com/hook?token=••••&x=1#f",
    );
    expect(maskUrl("https://ghp_TOKENTOKENTOKEN@example.com/")).toBe("https://••••@example.com/");
    expect(maskUrl("http://localhost:3000/receiver?api_key=k&code=c&page=2")).toBe(
      "http://localhost:3000/receiver?api_key=••••&code=••••&page=2",
    );
    expect(maskUrl("http://localhost:3000/receiver")).toBe("http://localhost:3000/receiver");
    expect(maskPath("/receiver?access_token=zzz&a=b")).toBe("/receiver?access_token=••••&a=b");
  });

  it("a stored URL with masked credentials is not sent again: --to or the config gives it", () => {
    expect(restoreUrl("http://h/r", {}, "m")).toBe("http://h/r");
    expect(restoreUrl("http://h/r?token=••••", { to: "http://h/r?token=x" }, "m")).toBe(
      "http://h/r?token=x",
    );
    expect(restoreUrl("http://h/r?token=••••", { config: () => "http://c/r" }, "m")).toBe(
      "http://c/r",
    );
    expect(() => restoreUrl("http://h/r?token=••••", {}, "m")).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/cannot be restored/),
        hint: expect.stringMatching(/--to/),
      }),
    );
  });
});

describe("known secrets in free text", () => {
  const secrets = knownSecrets({
    headers: { Authorization: "Bearer tok-1234567890abcdef", "X-Tenant": "acme-production" },
    allHeaderValues: true,
    resolved: ["from-the-env-value"],
    signSecret: "whsec_c2VjcmV0LXNpZ25pbmcta2V5",
    urls: ["http://u:url-password@h/r?token=query-token-value"],
  });

  it("masks every known value wherever it appears, the token alone too", () => {
    const echoed = JSON.stringify({
      authorization: "Bearer tok-1234567890abcdef",
      seen: "tok-1234567890abcdef",
      tenant: "acme-production",
      env: "from-the-env-value",
      key: "c2VjcmV0LXNpZ25pbmcta2V5",
      url: "http://u:url-password@h/r?token=query-token-value",
    });
    const masked = maskText(echoed, secrets);
    for (const secret of [
      "tok-1234567890abcdef",
      "acme-production",
      "from-the-env-value",
      "c2VjcmV0LXNpZ25pbmcta2V5",
      "url-password",
      "query-token-value",
    ]) {
      expect(masked).not.toContain(secret);
    }
    expect(masked).toContain("Bearer ••••cdef");
  });

  it("masks the start of a secret cut off at the end of an excerpt", () => {
    const cut = maskText('{"authorization":"Bearer tok-12345', secrets);
    expect(cut).toMatch(/••••$/);
    expect(cut).not.toContain("tok-1");
    expect(maskText('{"seen":"tok-12345', secrets)).toBe('{"seen":"••••');
  });
});

describe("templates only where the user wrote them", () => {
  it("a received header's value is sent as it is, never expanded", () => {
    process.env.NORCE_TEST_SECRET = "do-not-leak";
    try {
      expect(restoreHeaders([{ name: "X-Leak", value: "${NORCE_TEST_SECRET}" }], {}, "m")).toEqual({
        "X-Leak": "${NORCE_TEST_SECRET}",
      });
      expect(
        restoreHeaders([{ name: "X-Mine", template: "${NORCE_TEST_SECRET}" }], {}, "m"),
      ).toEqual({ "X-Mine": "do-not-leak" });
    } finally {
      delete process.env.NORCE_TEST_SECRET;
    }
  });
});

describe("terminal-safe text", () => {
  it("escapes control characters, C1, separators and bidi overrides; leaves the rest", () => {
    expect(safe("\x1b[2J\x1b]0;PWNED\x07")).toBe("\\u001b[2J\\u001b]0;PWNED\\u0007");
    expect(safe("a\nb\rc\td")).toBe("a\\nb\\rc\\td");
    expect(safe("\u009b2J \u202eevil \u2028")).toBe("\\u009b2J \\u202eevil \\u2028");
    expect(safe("Åsa Öberg → 202 ✓")).toBe("Åsa Öberg → 202 ✓");
  });

  it("keeps the lines of a block, shows CRLF as a newline and escapes the rest", () => {
    expect(safeBlock("line 1\r\nline\t2\n\x1b[31mred\x07\r")).toBe(
      "line 1\nline\t2\n\\u001b[31mred\\u0007\\r",
    );
  });
});

describe("coloured JSON", () => {
  it("escapes before colouring: the colours are the only escape sequences", async () => {
    const before = process.env.FORCE_COLOR;
    const noColor = process.env.NO_COLOR;
    process.env.FORCE_COLOR = "1";
    delete process.env.NO_COLOR;
    try {
      const { chalk, colourJson } = await import("../../src/cli/style.js");
      const text = colourJson({ Name: "\u009b2J\u202e", Code: "\x1b[31m" });
      expect(text).toContain("\\u009b2J\\u202e");
      expect(text).toContain("\\u001b[31m");
      expect(text).not.toMatch(/[\u0080-\u009f\u202e]/);
      expect(chalk.level).toBeGreaterThan(0);
      expect(text).toContain("\x1b[3"); // coloured, and not escaped
    } finally {
      if (before === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = before;
      if (noColor !== undefined) process.env.NO_COLOR = noColor;
    }
  });
});

describe("JUnit report", () => {
  it("writes characters XML cannot carry as text, so a hostile answer leaves the report parseable", async () => {
    const { renderJunit } = await import("../../src/contract/junit.js");
    const { XMLValidator } = await import("fast-xml-parser");
    const answer = { status: 500, error: null, latencyMs: 1, body: "\x1b[2J\x1b]0;PWNED\x07 boom" };
    const xml = renderJunit({
      url: "http://localhost:3000/receiver",
      seed: 1,
      timeoutMs: 5000,
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
      cases: [
        {
          id: "accepts/JobCompletedEvent",
          group: "accepts",
          name: "accepts JobCompletedEvent",
          status: "failed",
          reason: `got 500 "\x1b[2J"`,
          answers: [answer],
          durationMs: 1,
        },
      ],
      passed: 0,
      failed: 1,
      skipped: 0,
      warnings: 0,
      latencyMs: { p50: 1, p95: 1, max: 1 },
    });
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    expect(xml).toContain("\\u001b[2J");
    expect(XMLValidator.validate(xml)).toBe(true);
  });
});
