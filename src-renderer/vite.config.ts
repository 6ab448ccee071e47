import path from 'node:path';
import { defineConfig } from 'vite';

/** One build for both faces: relative asset paths load from file:// inside Electron and from `netmon serve`'s
 *  HTTP root alike; no inline scripts, so the strict CSP holds. */
// Vite reads its configuration from the module's default export.
export default defineConfig({
  root: __dirname,
  base: './',
  // esbuild compiles the TSX with React's automatic runtime; the build needs no Babel plugin.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: path.resolve(__dirname, '../dist/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
    sourcemap: true,
  },
});
