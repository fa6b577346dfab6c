import { defineConfig } from 'vite';

/**
 * `vite build` writes the static page to dist/, which the API serves at `/`. Asset URLs are
 * relative, so the page also works when a proxy mounts the API under a path.
 *
 * `npm run -w @defect-rag/explorer dev` serves the sources with hot reload and passes the API's
 * routes on to a running `npx defect-rag serve` (DEFECT_RAG_API_URL, default http://127.0.0.1:4000).
 */
const api = process.env.DEFECT_RAG_API_URL ?? 'http://127.0.0.1:4000';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 200 },
  server: { proxy: { '/graphql': api, '/crops': api, '/healthz': api } },
});
