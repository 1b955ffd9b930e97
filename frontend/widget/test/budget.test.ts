// @vitest-environment node
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { afterEach, describe, expect, it } from "vitest";
import { budget } from "../../vite.widget.config";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function buildWith(limit: number): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), "widget-"));
  dirs.push(outDir);
  await build({
    configFile: false,
    logLevel: "silent",
    plugins: [budget(limit)],
    build: {
      outDir,
      lib: { entry: "widget/src/main.ts", formats: ["iife"], name: "W", fileName: () => "w.js" },
    },
  });
}

describe("the widget's weight budget", () => {
  it("passes the bundle at the real budget", async () => {
    await expect(buildWith(30 * 1024)).resolves.toBeUndefined();
  });

  it("fails the build when the gzipped bundle is over it", async () => {
    await expect(buildWith(1024)).rejects.toThrow(/over the widget's budget of 1024/);
  });
});
