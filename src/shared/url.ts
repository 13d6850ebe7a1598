import { UsageError } from "./errors.js";

/** Where `norce-event listen` receives by default, and what prompts offer. */
export const DEFAULT_RECEIVER_URL = "http://localhost:7412/receiver";

/** Check a receiver URL: http or https, with a host. Returns it normalised. */
export function parseTargetUrl(text: string, flag = "--to"): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} "${text}" is not a URL`, {
      hint: "write the whole URL, e.g. http://localhost:3000/receiver",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${flag} "${text}" is not an http(s) URL`, {
      hint: "Norce posts over HTTP(S), e.g. https://example.com/norce/receiver",
    });
  }
  return url.toString();
}
