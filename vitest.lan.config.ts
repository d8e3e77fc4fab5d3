// `npm run test:lan`: the LAN of network namespaces (test/lan/), HOSTS=N
// machines (default 12). Not part of `npm test`: at 12 hosts it takes
// minutes of both cores.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    setupFiles: ['./src/polyfill.ts'],
    include: ['test/lan/**/*.test.ts'],
    testTimeout: 3_600_000,
    // the cleanup stops every node (in parallel, up to 30 s) before deleting the namespaces
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default']
  }
})
