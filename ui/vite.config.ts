import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The desktop shell loads the built files; no dev server is needed to run the app.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    // One small bundle; no inline scripts, so the CSP needs no 'unsafe-inline' for scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
