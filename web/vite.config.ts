import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The browser client is built into dist/web, which the server serves at `/`.
 * Everything it loads comes from the server itself: hashed files under /assets/
 * (cached for a year), no inline script or style (the server's CSP refuses them).
 */
export default defineConfig({
  root,
  base: "/",
  publicDir: "public",
  // Preact's automatic JSX runtime, through Vite's own transformer: no plugin needed.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // Never inline assets as data: URLs in CSS or JS; every file is a same-origin, hashed request.
    assetsInlineLimit: 0,
    // The module preload polyfill is an inline script in index.html; evergreen browsers don't need it.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
});
