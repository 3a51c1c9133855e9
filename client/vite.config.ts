import { defineConfig } from "vitest/config";

// No React plugin: Vite's own transform handles the JSX (automatic runtime); the dev server
// proxies the API and WebSocket to the local stack.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  oxc: { jsx: { runtime: "automatic" } },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3000",
      "/ws": { target: "ws://127.0.0.1:3000", ws: true },
    },
  },
  build: { outDir: "dist", sourcemap: true },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
