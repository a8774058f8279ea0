import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

// The renderer is a static bundle: served by `ksl serve` and loaded through ksl:// by Electron.
export default defineConfig({
  root: path.join(root, 'src-renderer'),
  base: './',
  plugins: [react()],
  build: {
    outDir: path.join(root, 'dist/renderer'),
    emptyOutDir: true,
    sourcemap: true,
    // no inline scripts or styles: the strict CSP allows only 'self'
    assetsInlineLimit: 0,
  },
});
