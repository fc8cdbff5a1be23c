import { defineConfig } from 'vite';

// Served by the server at /console/. Preact through the JSX transform alone:
// no framework plugin is needed. Every asset is named by a hash of its content
// (the server caches /console/assets/ for a year) and nothing is inlined into
// index.html, so the page runs under a CSP without 'unsafe-inline'.
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
});
