/**
 * Text from the network never reaches a terminal raw. A body, a header value, a path, a message
 * id or a receiver's answer may hold control characters: ESC starts sequences that clear the
 * screen, retitle the window, move the cursor or (in some terminals) write files; BEL rings; a
 * carriage return overwrites what was printed. Every renderer of pretty and plain output passes
 * such strings through here; `--json` needs nothing (JSON escapes control characters itself).
 *
 * Escaped, as JSON writes them (readable, and copy-pastable into code): C0 controls (`\u001b`,
 * `\u0007`; `\n`, `\r`, `\t` by their short names), DEL, the C1 controls U+0080–U+009F (U+009B
 * is a one-byte CSI to some terminals), the line and paragraph separators, and the bidirectional
 * overrides and isolates U+202A–U+202E, U+2066–U+2069 (which reorder what is shown, "Trojan
 * Source"). Everything else, including other Unicode, is printed as it is.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_BLOCK =
  /\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(char: string): string {
  return SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Whether `text` holds a character `safe` would escape. */
export function hasControl(text: string): boolean {
  return UNSAFE.test(text);
}

/** One line of text from the network, with every control character escaped (newlines too). */
export function safe(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeChar) : text;
}

/**
 * A block of text from the network (a body), printed over several lines: newlines and tabs are
 * kept (CRLF shown as a newline), every other control character is escaped.
 */
export function safeBlock(text: string): string {
  return UNSAFE.test(text)
    ? text.replace(UNSAFE_IN_BLOCK, (match) => (match === "\r\n" ? "\n" : escapeChar(match)))
    : text;
}

/** `safe` for a value that may be missing. */
export function safeOr(text: string | undefined | null, fallback: string): string {
  return text === undefined || text === null ? fallback : safe(text);
}
