// Serves the dashboard over fake nodes (one per role) that mine a block every
// few seconds, for working on web/ without running a network:
//   npx tsx test/e2e/dashboard-dev.ts [--port 8190]
// The miner listens on the port given, the full node on port+1, the SPV node on port+2.
import { startFakeDashboard, type FakeDashboardServer } from './helpers/dashboard-fake.js'

const portArg = process.argv.indexOf('--port')
const base = portArg > 0 ? Number(process.argv[portArg + 1]) : 8190
const roles = ['miner', 'full', 'spv'] as const
const servers: FakeDashboardServer[] = []
for (const [i, role] of roles.entries()) {
  const s = await startFakeDashboard({ role, port: base + i })
  s.node.startTicker(8000, 2000)
  servers.push(s)
  console.log(`${role.padEnd(5)}  ${s.url}/   token ${s.token}`)
}
console.log('Ctrl-C to stop.')
const stop = async (): Promise<void> => {
  await Promise.all(servers.map(async s => await s.close()))
  process.exit(0)
}
process.once('SIGINT', () => { void stop() })
process.once('SIGTERM', () => { void stop() })
setInterval(() => {}, 1 << 30)
