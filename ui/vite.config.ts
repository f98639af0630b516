/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// No React plugin: Vite's built-in transform compiles TSX with the automatic JSX runtime.
export default defineConfig({
  base: './',
  clearScreen: false,
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'react' },
  },
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
