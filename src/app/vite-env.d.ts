/**
 * Ambient types for the Vite-built page: `import.meta.env`, `?url` / `?worker` imports (vite/client)
 * and `*.svelte` modules (declared by the svelte package itself).
 */
/// <reference types="vite/client" />
/// <reference types="svelte" />
