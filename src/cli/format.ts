// Showing amounts and node state to people. Amounts stay integer strings all
// the way: coins are base units with the decimal point moved, never a float.
import type { StatusView, WalletView } from '../node/node-api.js'

export const DECIMALS = 8

/** "5000000000" -> "50.00000000"; negative values keep their sign. */
export function formatCoins (baseUnits: string): string {
  const negative = baseUnits.startsWith('-')
  const digits = (negative ? baseUnits.slice(1) : baseUnits).padStart(DECIMALS + 1, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -DECIMALS)}.${digits.slice(-DECIMALS)}`
}

export function formatAmount (baseUnits: string): string {
  return `${formatCoins(baseUnits)} MC (${baseUnits} base units)`
}

function table (rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

export function formatStatus (s: StatusView, api: string): string {
  const rows: Array<[string, string]> = [
    ['role', `${s.role} (${s.network})`],
    ['peer id', s.peerId],
    ['height', `${s.height}${s.bestHeaderHeight > s.height ? ` of ${s.bestHeaderHeight} known` : ''}`],
    ['tip', s.tip],
    ['syncing', s.syncing ? 'yes' : 'no'],
    ['peers', String(s.peers)],
    ['mempool', `${s.mempool} transaction${s.mempool === 1 ? '' : 's'}`]
  ]
  if (s.mining !== undefined) {
    rows.push(['mining', s.mining.enabled
      ? `on, ${s.mining.threads} thread${s.mining.threads === 1 ? '' : 's'}, ${Math.round(s.mining.hashRate)} H/s, ${s.mining.blocksMined} blocks mined`
      : 'off'])
  }
  for (const [i, addr] of s.listen.entries()) rows.push([i === 0 ? 'listen' : '', addr])
  rows.push(['api', api], ['dashboard', `${api}/`])
  return table(rows)
}

export function formatBalance (w: WalletView): string {
  const rows: Array<[string, string]> = [
    ['confirmed', formatAmount(w.balance.confirmed)],
    ['pending', formatAmount(w.balance.pending)]
  ]
  if (w.balance.immature !== undefined) rows.push(['immature', formatAmount(w.balance.immature)])
  if (w.confirmationsRequired !== undefined) rows.push(['confirmed at', `${w.confirmationsRequired} confirmation${w.confirmationsRequired === 1 ? '' : 's'}`])
  return table(rows)
}

/** The wallet's transactions, newest first: txid, net effect, confirmations. */
export function formatWalletTransactions (w: WalletView): string {
  if (w.transactions.length === 0) return 'no transactions'
  const required = w.confirmationsRequired
  return w.transactions.map(t => {
    const state = t.confirmations === 0
      ? 'pending'
      : `${t.confirmations} confirmation${t.confirmations === 1 ? '' : 's'}${(t.confirmed ?? (required !== undefined && t.confirmations >= required)) ? '' : ' (not yet confirmed)'}`
    const sign = t.delta.startsWith('-') ? '-' : '+'
    return `${t.txid}  ${sign}${formatCoins(t.delta.replace(/^-/, ''))} MC  ${state}`
  }).join('\n')
}
