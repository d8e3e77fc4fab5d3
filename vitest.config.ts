import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  // The dashboard's modules import libraries by the URL the node serves them
  // under, /vendor/<package>/<file> (src/api/static-files.ts); tests that load
  // those modules in Node get the same files from node_modules.
  resolve: {
    alias: [{ find: /^\/vendor\/(.*)$/, replacement: '$1' }]
  },
  test: {
    setupFiles: ['./src/polyfill.ts'],
    include: ['test/**/*.test.ts'],
    // the many-host LAN test is opt-in: npm run test:lan (vitest.lan.config.ts)
    exclude: [...configDefaults.exclude, 'test/lan/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default']
  }
})
