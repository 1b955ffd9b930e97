/// <reference types="vitest/config" />
// Builds the storefront widget (widget/src) into the theme app extension's assets as one
// IIFE script, extensions/loyalty-widget/assets/loyalty-widget.js, and fails the build when
// it weighs more than its budget gzipped: the widget loads on every storefront page.
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

export const BUDGET_BYTES = 30 * 1024;

export function budget(limit: number = BUDGET_BYTES): Plugin {
  return {
    name: "boomerang-widget-budget",
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        const source = file.type === "chunk" ? file.code : file.source;
        const gzipped = gzipSync(source, { level: 9 }).length;
        if (gzipped > limit) {
          this.error(
            `${file.fileName} is ${gzipped} bytes gzipped, over the widget's budget of ${limit}: ` +
              "cut code or a dependency from frontend/widget/src (it loads on every storefront page)",
          );
        }
        this.info(`${file.fileName}: ${gzipped} bytes gzipped (budget ${limit})`);
      }
    },
  };
}

export default defineConfig({
  plugins: [budget()],
  publicDir: false,
  build: {
    outDir: "../extensions/loyalty-widget/assets",
    emptyOutDir: false,
    sourcemap: false,
    target: "es2019",
    copyPublicDir: false,
    lib: {
      entry: "widget/src/main.ts",
      formats: ["iife"],
      name: "BoomerangLoyalty",
      fileName: () => "loyalty-widget.js",
    },
  },
  test: {
    include: ["widget/test/**/*.test.ts"],
    environment: "happy-dom",
  },
});
