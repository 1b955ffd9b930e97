// Builds the admin UI into dist/: hashed files under dist/assets and .vite/manifest.json, which
// the app reads to reference the entry from its shell (app/web/frontend_assets.py).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    rolldownOptions: { input: "src/main.tsx" },
  },
});
