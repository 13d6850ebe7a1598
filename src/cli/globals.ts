/**
 * Options every command inherits from the program. A module of its own so that `main.ts` (which
 * imports the commands lazily) and the commands (which take these options) do not import each
 * other.
 */
export interface GlobalOptions {
  color: boolean;
  /** `--config <path>`; otherwise the config is found by walking up from the working directory. */
  config?: string;
  /** `--store <path>`, or false for `--no-store`. */
  store?: string | false;
  /** `--retention <duration>` of the store, in ms. */
  retention?: number;
}
