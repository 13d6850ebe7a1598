/** Resolve once `check()` holds, looking every `everyMs`; fail after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
