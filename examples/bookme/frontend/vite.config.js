import { defineConfig } from 'vite';

// Output contract (what the release engine relies on):
//   dist/index.html                 entry, never cached long
//   dist/assets/<name>.<hash>.<ext> content-hashed: a dot before the hash, cached forever
//   dist/<files from public/>       copied as-is, not hashed (favicon.svg, robots.txt, manifest.json)
export default defineConfig({
  // React's automatic JSX runtime through Vite's built-in esbuild: no React plugin needed.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name].[hash].js',
        chunkFileNames: 'assets/[name].[hash].js',
        assetFileNames: 'assets/[name].[hash][extname]',
      },
      onwarn(warning, warn) {
        // react-router marks its modules "use client" (for React Server Components); in a
        // client-only bundle the directive means nothing, so the warning is noise.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && /"use client"/.test(warning.message)) return;
        warn(warning);
      },
    },
  },
});
