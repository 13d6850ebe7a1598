/**
 * The inspector's page. Event data only ever reaches the DOM as text (textContent, text nodes):
 * a payload or header such as `<img src=x onerror=…>` is shown, never run. Updates from the
 * server's event stream are coalesced and drawn at most a few times a second.
 */
import type {
  AnswerSettings,
  EventDetail,
  FeedRecord,
  HeaderView,
  InspectorMeta,
  ReceivedView,
} from "./types.js";

// --- DOM helpers: text only ----------------------------------------------------------------------

type Child = Node | string | null | undefined | false;

function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") el.className = value;
    else el.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el;
}

function input(id: string): HTMLInputElement {
  return $(id) as HTMLInputElement;
}

function clear(el: HTMLElement): void {
  el.replaceChildren();
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms * 10) / 10}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h ${Math.round((ms % 3_600_000) / 60_000)}m`;
}
function statusClass(status: number | null): string {
  return status === null ? "snone" : `s${String(status)[0]}`;
}

let toastTimer: number | undefined;
function toast(text: string): void {
  const el = $("toast");
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el.classList.remove("show"), 3500);
}

// --- State ---------------------------------------------------------------------------------------

const token =
  document.querySelector<HTMLMetaElement>('meta[name="norce-inspector-token"]')?.content ?? "";

/** Rows of the store by key, and the groups they form (one per message id). */
const records = new Map<string, FeedRecord>();

interface Group {
  id: string;
  messageId: string | null;
  type: string | null;
  category: string | null;
  time: number;
  directions: Set<string>;
  target: string;
  status: number | null;
  attempts: number;
  problems: number;
  state: string;
  preview: string;
}

let groups: Group[] = [];
let meta: InspectorMeta | undefined;
let selected: string | null = null;
let cursor = 0;
let follow = true;
let detail: EventDetail | undefined;
let dirty = false;

function regroup(): void {
  const byId = new Map<string, Group>();
  const sorted = [...records.values()].sort((a, b) => a.time - b.time);
  for (const r of sorted) {
    const id = r.messageId ?? r.key;
    let g = byId.get(id);
    if (!g) {
      g = {
        id,
        messageId: r.messageId,
        type: r.type,
        category: r.category,
        time: r.time,
        directions: new Set(),
        target: r.target,
        status: r.status,
        attempts: 0,
        problems: 0,
        state: r.state,
        preview: "",
      };
      byId.set(id, g);
    }
    g.directions.add(r.direction);
    g.time = Math.max(g.time, r.time);
    g.type ??= r.type;
    g.category ??= r.category;
    g.status = r.status;
    g.attempts = Math.max(g.attempts, r.attempt);
    g.problems = r.direction === "received" ? r.problems : Math.max(g.problems, r.problems);
    if (r.direction === "sent") g.state = r.state;
    if (r.direction === "received" || !g.target) g.target = r.target;
    g.preview = r.preview;
  }
  groups = [...byId.values()].sort((a, b) => b.time - a.time);
}

// --- Filters (they live in the URL, so a link opens the same view) -------------------------------

interface Filters {
  type: string;
  status: string;
  dir: string;
  problems: boolean;
  q: string;
}

function readFilters(): Filters {
  const p = new URLSearchParams(location.search);
  return {
    type: p.get("type") ?? "",
    status: p.get("status") ?? "",
    dir: p.get("dir") ?? "",
    problems: p.get("problems") === "1",
    q: p.get("q") ?? "",
  };
}

function writeFilters(f: Filters): void {
  const p = new URLSearchParams();
  if (f.type) p.set("type", f.type);
  if (f.status) p.set("status", f.status);
  if (f.dir) p.set("dir", f.dir);
  if (f.problems) p.set("problems", "1");
  if (f.q) p.set("q", f.q);
  const search = p.toString();
  history.replaceState(
    null,
    "",
    `${location.pathname}${search ? `?${search}` : ""}${location.hash}`,
  );
}

function glob(pattern: string): RegExp {
  const parts = pattern
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) =>
      p
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, "."),
    );
  return new RegExp(`^(${parts.join("|") || ".*"})$`, "i");
}

function matches(g: Group, f: Filters, typeRe: RegExp): boolean {
  if (f.type && !typeRe.test(g.type ?? "")) return false;
  if (f.status) {
    const cls = g.status === null ? "none" : `${String(g.status)[0]}xx`;
    if (cls !== f.status) return false;
  }
  if (f.dir && !g.directions.has(f.dir)) return false;
  if (f.problems && g.problems === 0) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = `${g.preview}\n${g.type ?? ""}\n${g.messageId ?? ""}\n${g.target}`.toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

// --- The list ------------------------------------------------------------------------------------

const MAX_ROWS = 500;
let shown: Group[] = [];

function renderList(): void {
  const f = readFilters();
  const typeRe = glob(f.type);
  shown = groups.filter((g) => matches(g, f, typeRe)).slice(0, MAX_ROWS);
  if (follow && shown[0] && selected !== shown[0].id) select(shown[0].id, false);
  const body = $("rows");
  const rows = shown.map((g, i) => {
    const dir = [...g.directions].sort().reverse().join(" → ");
    const tr = h(
      "tr",
      {
        "data-id": g.id,
        class: [g.id === selected ? "selected" : "", i === cursor ? "cursor" : ""].join(" ").trim(),
      },
      h("td", { class: "mono" }, clock(g.time)),
      h("td", {}, dir),
      h("td", { class: `cat-${g.category ?? "none"}` }, g.type ?? "(no type)"),
      h("td", { class: "mono" }, (g.messageId ?? "—").slice(0, 8)),
      h("td", { class: "mono", title: g.target }, g.target),
      h("td", { class: statusClass(g.status) }, g.status === null ? "—" : String(g.status)),
      h("td", {}, g.attempts > 1 ? `attempt ${g.attempts}` : String(g.attempts)),
      h(
        "td",
        {},
        g.problems > 0 ? h("span", { class: "badge", title: "problems" }, String(g.problems)) : "",
        g.state === "dead" ? h("span", { class: "badge" }, "dead") : "",
        g.state === "pending" ? h("span", { class: "badge warn" }, "pending") : "",
      ),
    );
    tr.addEventListener("click", () => {
      cursor = i;
      follow = false;
      input("f-follow").checked = false;
      select(g.id, true);
      renderList();
    });
    return tr;
  });
  body.replaceChildren(...rows);
  $("empty").hidden = groups.length > 0;
}

// --- One event -----------------------------------------------------------------------------------

let detailTimer: number | undefined;

function select(id: string, pin: boolean): void {
  selected = id;
  if (pin) location.hash = `#/events/${encodeURIComponent(id)}`;
  loadDetail();
}

function loadDetail(): void {
  clearTimeout(detailTimer);
  detailTimer = window.setTimeout(async () => {
    if (!selected) return;
    const group = groups.find((g) => g.id === selected);
    if (group && !group.messageId) {
      renderDetailless(group);
      return;
    }
    const res = await fetch(`/api/events/${encodeURIComponent(selected)}`);
    if (!res.ok) return;
    detail = (await res.json()) as EventDetail;
    renderDetail(detail);
  }, 60);
}

function renderDetailless(g: Group): void {
  const pane = $("detail");
  pane.hidden = false;
  pane.replaceChildren(
    h("h2", {}, "(no message id)"),
    h("p", {}, `${g.target} → ${g.status ?? "—"}`),
    h("pre", { class: "json" }, g.preview),
  );
}

function jsonLines(text: string, problemPaths: Set<string>): HTMLElement {
  const pre = h("pre", { class: "json" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    pre.textContent = text;
    return pre;
  }
  const line = (indent: number, path: string, ...parts: Child[]) => {
    const div = h("div", {
      class: `line${problemPaths.has(path) ? " problem" : ""}`,
      "data-path": path,
    });
    div.append(" ".repeat(indent));
    for (const p of parts)
      if (p) div.append(typeof p === "string" ? document.createTextNode(p) : p);
    pre.append(div);
  };
  const scalar = (v: unknown) =>
    h(
      "span",
      { class: typeof v === "string" ? "str" : typeof v === "number" ? "num" : "" },
      JSON.stringify(v),
    );
  const walk = (v: unknown, path: string, indent: number, key: string | null, last: boolean) => {
    const label = key === null ? null : h("span", { class: "key" }, `${JSON.stringify(key)}: `);
    const comma = last ? "" : ",";
    if (v !== null && typeof v === "object") {
      const entries = Array.isArray(v)
        ? v.map((x, i) => [String(i), x] as const)
        : Object.entries(v);
      const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
      if (entries.length === 0) {
        line(indent, path, label, `${open}${close}${comma}`);
        return;
      }
      line(indent, path, label, open);
      for (const [i, [k, x]] of entries.entries()) {
        const sub = Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`;
        walk(x, sub, indent + 2, Array.isArray(v) ? null : k, i === entries.length - 1);
      }
      line(indent, path, `${close}${comma}`);
    } else line(indent, path, label, scalar(v), comma);
  };
  walk(value, "$", 0, null, true);
  return pre;
}

function headerList(headers: HeaderView[]): HTMLElement {
  const dl = h("dl", { class: "kv" });
  for (const header of headers) {
    dl.append(
      h("dt", {}, header.name),
      h("dd", { class: header.masked ? "masked" : "" }, header.value),
    );
  }
  return dl;
}

function checks(r: ReceivedView): HTMLElement {
  const ul = h("ul", { class: "checks" });
  const failing = new Set(r.problems.map((p) => p.path.split(" ")[0] ?? ""));
  const headerProblem = r.problems.some((p) => p.path.startsWith("header"));
  const schemaProblem = r.problems.some((p) => p.path.startsWith("$"));
  const unknownType = r.problems.some((p) => /body not checked/.test(p.message));
  ul.append(h("li", { class: headerProblem ? "fail" : "" }, "the three Norce headers"));
  ul.append(h("li", { class: failing.has("body") ? "fail" : "" }, "a JSON body"));
  ul.append(
    unknownType
      ? h("li", { class: "warn" }, "schema not checked: not one of Norce's 19 event types")
      : h("li", { class: schemaProblem ? "fail" : "" }, "valid for its type's schema"),
  );
  for (const p of r.problems) {
    ul.append(
      h("li", { class: p.severity === "error" ? "fail" : "warn" }, `${p.path} ${p.message}`),
    );
  }
  return ul;
}

function renderDetail(d: EventDetail): void {
  const pane = $("detail");
  pane.hidden = false;
  const last = d.received.at(-1);
  const sent = d.sent.at(-1);
  const problemPaths = new Set((last?.problems ?? []).map((p) => p.path));
  const actions = h("div", { class: "actions" });
  const add = (label: string, key: string, fn: () => void, primary = false) => {
    const b = h(
      "button",
      { type: "button", "data-action": key, class: primary ? "primary" : "" },
      label,
    );
    b.addEventListener("click", fn);
    actions.append(b);
  };
  if ("target" in d.replay) {
    add("Replay (r)", "replay", () => void replay(false), true);
    add("Replay as new", "replay-new", () => void replay(true));
    add("Edit and replay (e)", "edit", openEdit);
  }
  add("Copy as curl", "curl", () => void copyCurl());
  add("Download body", "download-body", () => downloadFile("body"));
  add("Download request", "download-request", () => downloadFile("request"));

  const parts: Child[] = [
    h("h2", { class: `cat-${d.category ?? "none"}` }, d.type ?? "(no type)"),
    h("div", { class: "mono" }, d.messageId ?? ""),
    actions,
    "target" in d.replay
      ? h("div", { class: "dim mono" }, `replays go to ${d.replay.target}`)
      : h("div", { class: "dim" }, d.replay.unavailable),
  ];

  if (d.received.length > 0) {
    parts.push(
      h("h3", {}, `received · ${d.received.length} attempt${d.received.length === 1 ? "" : "s"}`),
    );
    const ol = h("ol", { class: "timeline", "data-kind": "received" });
    for (const r of d.received) {
      const verdict =
        r.gapMs === null
          ? ""
          : r.minGapMs === null
            ? "beyond Norce's 17 attempts"
            : r.early
              ? `early: Norce waits ≥ ${duration(r.minGapMs)}`
              : `on time (≥ ${duration(r.minGapMs)})`;
      ol.append(
        h(
          "li",
          {},
          h("span", {}, `#${r.attempt}`),
          h("span", {}, clock(r.receivedAt)),
          h("span", { class: statusClass(r.status) }, `→ ${r.status}`),
          h(
            "span",
            { class: r.early ? "early" : "ontime" },
            r.gapMs === null ? "first" : `+${duration(r.gapMs)} ${verdict}`,
          ),
        ),
      );
    }
    parts.push(ol);
    if (d.diffs.length > 0) {
      parts.push(h("h3", {}, "changes between attempts"));
      const ul = h("ul", { class: "diff" });
      for (const diff of d.diffs) {
        if (diff.changes.length === 0) {
          ul.append(
            h("li", { class: "same" }, `#${diff.from} → #${diff.to}: the same body and headers`),
          );
        }
        for (const c of diff.changes) {
          ul.append(
            h(
              "li",
              { class: c.expected ? "expected" : "bug" },
              `#${diff.from} → #${diff.to} ${c.where} ${c.path}: ${c.before ?? "(none)"} → ${c.after ?? "(none)"}${c.expected ? " (expected: signed per attempt)" : " — Norce retries the same event"}`,
            ),
          );
        }
      }
      parts.push(ul);
    }
  }
  if (last) {
    parts.push(h("h3", {}, "checks"), checks(last));
    if (last.forwarded) {
      const f = last.forwarded;
      parts.push(
        h("h3", {}, "your app (--forward-to)"),
        h(
          "div",
          { class: "mono" },
          f.error ? `✗ ${f.error}` : `${f.url} → ${f.status} in ${duration(f.latencyMs)}`,
        ),
        f.response ? h("pre", { class: "json" }, f.response) : null,
      );
    } else if (last.note) parts.push(h("div", { class: "dim" }, last.note));
    parts.push(h("h3", {}, `headers of attempt ${last.attempt}`), headerList(last.headers));
    parts.push(
      h(
        "h3",
        {},
        `body · ${last.bodyBytes} bytes${last.bodyCut ? " (cut; download for all)" : ""}`,
      ),
      jsonLines(last.body, problemPaths),
    );
  }
  for (const s of d.sent) {
    parts.push(h("h3", {}, `sent to ${s.url} · ${s.state} after ${s.attempts.length}`));
    const ol = h("ol", { class: "timeline", "data-kind": "sent" });
    for (const a of s.attempts) {
      ol.append(
        h(
          "li",
          {},
          h("span", {}, `#${a.attempt} +${duration(a.scheduleMs)}`),
          h("span", {}, clock(a.startedAt)),
          h("span", { class: statusClass(a.status) }, a.status === null ? "—" : String(a.status)),
          h(
            "span",
            {},
            `${duration(a.latencyMs)} ${a.error ?? ""} ${a.response ? JSON.stringify(a.response.slice(0, 120)) : ""}`,
          ),
        ),
      );
    }
    parts.push(ol);
    if (s.headers.length > 0) parts.push(headerList(s.headers));
    if (!last) parts.push(h("h3", {}, "body"), jsonLines(s.body, new Set()));
  }
  if (!sent && !last) parts.push(h("p", {}, "nothing stored for this id"));
  pane.replaceChildren(...parts.filter((p): p is Node | string => Boolean(p)));
}

// --- Actions -------------------------------------------------------------------------------------

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; data: Record<string, unknown> }> {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-inspector-token": token },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: (await res.json()) as Record<string, unknown> };
}

async function replay(
  newId: boolean,
  edited?: { body: string; keepId: boolean; allowInvalid: boolean },
): Promise<boolean> {
  if (!detail?.messageId) return false;
  const { status, data } = await post(
    `/api/events/${encodeURIComponent(detail.messageId)}/replay`,
    {
      newId: edited ? !edited.keepId : newId,
      ...(edited ? { body: edited.body, allowInvalid: edited.allowInvalid } : {}),
    },
  );
  if (status === 202) {
    const warnings = (data.warnings as string[] | undefined) ?? [];
    toast(
      `replaying ${String(data.messageId).slice(0, 8)} to ${String(data.to)}${warnings.length ? ` · ${warnings.join("; ")}` : ""}`,
    );
    return true;
  }
  if (edited && status === 422) {
    const list = $("edit-problems");
    clear(list);
    list.append(h("li", {}, String(data.error)));
    for (const p of (data.problems as { path: string; message: string }[] | undefined) ?? []) {
      list.append(h("li", {}, `${p.path} ${p.message}`));
    }
    return false;
  }
  toast(`cannot replay: ${String(data.error)}`);
  return false;
}

function openEdit(): void {
  if (!detail || !("target" in detail.replay)) return;
  const body = detail.received.at(-1)?.body ?? detail.sent.at(-1)?.body ?? "{}";
  let pretty = body;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {}
  ($("edit-body") as HTMLTextAreaElement).value = pretty;
  $("edit-type").textContent = detail.type ?? "";
  clear($("edit-problems"));
  input("edit-keep-id").checked = false;
  input("edit-allow-invalid").checked = false;
  ($("edit-dialog") as HTMLDialogElement).showModal();
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function curlCommand(d: EventDetail): string {
  const r = d.received.at(-1);
  const s = d.sent.at(-1);
  const url = "target" in d.replay ? d.replay.target : r ? r.path : (s?.url ?? "");
  const headers = r
    ? r.headers.filter(
        (x) =>
          !/^(host|content-length|connection|accept|accept-encoding|user-agent)$/i.test(x.name),
      )
    : [
        ...(s?.headers ?? []),
        { name: "Norce-Event-Message-Id", value: d.messageId ?? "", masked: false },
        { name: "Norce-Event-Type", value: d.type ?? "", masked: false },
        { name: "content-type", value: "application/json; charset=utf-8", masked: false },
      ];
  const body = r?.body ?? s?.body ?? "";
  return [
    `curl -X POST ${shellQuote(url)}`,
    ...headers.map((x) => `-H ${shellQuote(`${x.name}: ${x.value}`)}`),
    `--data-raw ${shellQuote(body)}`,
  ].join(" \\\n  ");
}

async function copyCurl(): Promise<void> {
  if (!detail) return;
  const text = curlCommand(detail);
  try {
    await navigator.clipboard.writeText(text);
    toast("copied as curl (secret headers stay masked: put yours in)");
  } catch {
    toast("the clipboard is not available here");
  }
}

function downloadFile(what: "body" | "request"): void {
  if (!detail?.messageId) return;
  const a = h("a", {
    href: `/api/events/${encodeURIComponent(detail.messageId)}/download?what=${what}`,
    download: "",
  });
  document.body.append(a);
  a.click();
  a.remove();
}

// --- Answers -------------------------------------------------------------------------------------

function openAnswers(): void {
  const a = meta?.answers;
  if (!a) return;
  input("a-status").value = String(a.status);
  input("a-fail-first").value = String(a.failFirst);
  input("a-fail-rate").value = String(a.failRate);
  input("a-delay").value = String(a.delayMs);
  input("a-require").value = a.requireHeader;
  $("answers-error").textContent = "";
  ($("answers-dialog") as HTMLDialogElement).showModal();
}

async function applyAnswers(): Promise<void> {
  const change: AnswerSettings = {
    status: Number(input("a-status").value),
    failFirst: Number(input("a-fail-first").value || 0),
    failRate: Number(input("a-fail-rate").value || 0),
    delayMs: Number(input("a-delay").value || 0),
    requireHeader: input("a-require").value.trim(),
  };
  const { status, data } = await post("/api/answers", change);
  if (status !== 200) {
    $("answers-error").textContent = String(data.error);
    return;
  }
  if (meta) meta.answers = data as unknown as AnswerSettings;
  ($("answers-dialog") as HTMLDialogElement).close();
  toast("the listener answers differently now");
  renderWhere();
}

function renderWhere(): void {
  if (!meta) return;
  const a = meta.answers;
  const answer = a
    ? ` · answering ${a.status}${a.failFirst ? `, 500 to the first ${a.failFirst} attempts` : ""}${a.failRate ? `, 500 to ${Math.round(a.failRate * 100)}%` : ""}${a.delayMs ? `, ${a.delayMs}ms late` : ""}${a.requireHeader ? `, 401 without ${a.requireHeader.split(":")[0]}` : ""}`
    : "";
  $("where").textContent =
    meta.mode === "listen"
      ? `listening on ${meta.listenerUrl}${meta.forwardTo ? ` ⇢ ${meta.forwardTo}` : ""}${answer}`
      : `the event store ${meta.store}`;
  $("empty-hint").textContent = meta.listenerUrl
    ? `norce-event send OrderConfirmedEvent --to ${meta.listenerUrl}`
    : "norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver";
}

// --- Live updates --------------------------------------------------------------------------------

/** Rows the page keeps (the oldest go first): a long burst cannot grow the page without bound. */
const MAX_RECORDS = 5000;

function trimRecords(): void {
  if (records.size <= MAX_RECORDS) return;
  const oldest = [...records.values()].sort((a, b) => a.time - b.time);
  for (const r of oldest.slice(0, records.size - MAX_RECORDS)) records.delete(r.key);
}

function scheduleRender(): void {
  if (dirty) return;
  dirty = true;
  window.setTimeout(() => {
    dirty = false;
    trimRecords();
    regroup();
    renderList();
  }, 150);
}

function connect(after: string): void {
  const source = new EventSource(`/api/stream?after=${encodeURIComponent(after)}`);
  const live = $("live");
  source.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "live on";
  });
  source.addEventListener("error", () => {
    live.textContent = "reconnecting…";
    live.className = "live off";
  });
  source.addEventListener("record", (e) => {
    const record = JSON.parse((e as MessageEvent<string>).data) as FeedRecord;
    records.set(record.key, record);
    if (record.messageId === selected || record.key === selected) loadDetail();
    scheduleRender();
  });
}

// --- Keys ----------------------------------------------------------------------------------------

function move(delta: number): void {
  if (shown.length === 0) return;
  cursor = Math.max(0, Math.min(shown.length - 1, cursor + delta));
  follow = false;
  input("f-follow").checked = false;
  renderList();
  document.querySelector("tr.cursor")?.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement;
  if (document.querySelector("dialog[open]")) return;
  if (target.matches("input, textarea, select")) {
    if (e.key === "Escape") target.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const actions: Record<string, () => void> = {
    j: () => move(1),
    k: () => move(-1),
    Enter: () => {
      const g = shown[cursor];
      if (g) select(g.id, true);
      renderList();
    },
    r: () => void replay(false),
    e: openEdit,
    "/": () => input("f-text").focus(),
    f: () => {
      follow = true;
      input("f-follow").checked = true;
      cursor = 0;
      renderList();
    },
    "?": () => ($("help-dialog") as HTMLDialogElement).showModal(),
  };
  const action = actions[e.key];
  if (action) {
    e.preventDefault();
    action();
  }
});

// --- Start ---------------------------------------------------------------------------------------

async function start(): Promise<void> {
  meta = (await (await fetch("/api/meta")).json()) as InspectorMeta;
  renderWhere();
  $("answers-button").hidden = !meta.answers;
  $("answers-button").addEventListener("click", openAnswers);
  $("help-button").addEventListener("click", () =>
    ($("help-dialog") as HTMLDialogElement).showModal(),
  );
  $("answers-cancel").addEventListener("click", () =>
    ($("answers-dialog") as HTMLDialogElement).close(),
  );
  $("answers-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void applyAnswers();
  });
  $("edit-cancel").addEventListener("click", () => ($("edit-dialog") as HTMLDialogElement).close());
  $("edit-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void replay(false, {
      body: ($("edit-body") as HTMLTextAreaElement).value,
      keepId: input("edit-keep-id").checked,
      allowInvalid: input("edit-allow-invalid").checked,
    }).then((ok) => {
      if (ok) ($("edit-dialog") as HTMLDialogElement).close();
    });
  });

  const f = readFilters();
  input("f-type").value = f.type;
  ($("f-status") as HTMLSelectElement).value = f.status;
  ($("f-dir") as HTMLSelectElement).value = f.dir;
  input("f-problems").checked = f.problems;
  input("f-text").value = f.q;
  $("filters").addEventListener("input", () => {
    writeFilters({
      type: input("f-type").value.trim(),
      status: ($("f-status") as HTMLSelectElement).value,
      dir: ($("f-dir") as HTMLSelectElement).value,
      problems: input("f-problems").checked,
      q: input("f-text").value,
    });
    follow = input("f-follow").checked;
    cursor = 0;
    renderList();
  });
  $("filters").addEventListener("submit", (e) => e.preventDefault());

  const deep = /^#\/events\/(.+)$/.exec(location.hash);
  if (deep?.[1]) {
    follow = false;
    input("f-follow").checked = false;
    selected = decodeURIComponent(deep[1]);
    loadDetail();
  }
  const first = (await (await fetch("/api/events")).json()) as {
    cursor: string;
    records: FeedRecord[];
  };
  for (const r of first.records) records.set(r.key, r);
  regroup();
  renderList();
  connect(first.cursor);
}

void start();
