// Vite builds index.html + src/ into dist/, which hcas-server embeds at
// compile time (crates/hcas-server/src/web.rs). dist/ is committed, so the
// output must be deterministic: hashed file names, no timestamps, no
// inline scripts (the server's Content-Security-Policy forbids them).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // Never inline assets as data: URLs (CSP img-src/font-src 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
