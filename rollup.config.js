// The command line as a few modules instead of ~100: Node pays for each module it loads at
// start-up (resolving, reading, compiling; for a CommonJS one such as commander's seven files also
// the lookups of its loader and the ESM wrapper), so `norce-event types` loaded 17 of ours and
// commander's before it printed anything. Measured: see the README's performance section.
//
// Input is tsc's output (dist/cli/main.js). Every command stays its own chunk, imported only when
// it runs. Commander (what every command loads first) is bundled in; every other dependency stays
// in node_modules, loaded by the command that needs it. The chunks sit two folders below the
// package root, as the modules they replace do, so paths made from import.meta.url (fixtures,
// package.json, the inspector's page) are the same from both.
// The library (dist/index.js, dist/receiver/) is not bundled: it is what `import` users load.
import { rmSync } from "node:fs";
import commonjs from "@rollup/plugin-commonjs";
import { nodeResolve } from "@rollup/plugin-node-resolve";

const BUNDLED = new Set(["commander"]);

export default {
  input: { cli: "dist/cli/main.js" },
  // A bare name (a package, or a Node built-in) imported by a module, unless it is bundled.
  external: (id, importer) =>
    importer !== undefined &&
    (id.startsWith("node:") ||
      (!id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0") && !BUNDLED.has(id))),
  plugins: [
    // The chunks' names carry a hash of their content: last build's would stay beside them.
    {
      name: "empty-the-bundle-folder",
      buildStart: () => rmSync("dist/bundle", { recursive: true, force: true }),
    },
    nodeResolve({ preferBuiltins: true }),
    commonjs(),
  ],
  output: {
    dir: "dist/bundle",
    format: "es",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
  },
  onwarn(warning) {
    // A warning (an import that does not resolve, `this` at the top level) fails the build.
    throw new Error(`${warning.code}: ${warning.message}`);
  },
};
