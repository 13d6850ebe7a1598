/** Small text helpers shared by every capability. */

/**
 * The candidate closest to `input` by edit distance (ignoring case), if it is close enough.
 * `aliases` gives other spellings to compare against (e.g. a name without its suffix).
 */
export function closest(
  input: string,
  candidates: readonly string[],
  aliases: (candidate: string) => readonly string[] = () => [],
): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    for (const spelling of [candidate, ...aliases(candidate)]) {
      const hay = spelling.toLowerCase();
      const distance = hay.includes(needle) && needle.length >= 4 ? 0.5 : editDistance(needle, hay);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = candidate;
      }
    }
  }
  // A suggestion is only useful when most of the word survived the typo.
  return bestDistance <= Math.max(2, Math.floor(needle.length / 3)) ? best : undefined;
}

/** Levenshtein distance with one row of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The first line of a text, cut to `max` characters with an ellipsis. */
export function firstLine(text: string, max = 80): string {
  const line = text.trimStart().split(/\r?\n/, 1)[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "1 attempt", "3 attempts". */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** Items as a sentence lists them: "a", "a and b", "a, b and c". */
export function listOf(items: readonly string[]): string {
  return items.length <= 2
    ? items.join(" and ")
    : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
