import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The dashboard is served by the Cadreen server itself at /dashboard/: same origin, no CDN. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or styles: everything is a file the Content-Security-Policy allows as 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
