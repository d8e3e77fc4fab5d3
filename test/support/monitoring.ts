// The shipped monitoring files (contrib/prometheus, contrib/grafana) as the
// tests read them: the dashboard's PromQL expressions, the rules' alerts, and
// the substitutions Grafana makes before it sends an expression to Prometheus.
import { readFileSync } from 'node:fs'

export const CONTRIB = new URL('../../contrib/', import.meta.url).pathname
export const RULES_FILE = CONTRIB + 'prometheus/minicoin.rules.yml'
export const RULES_TEST_FILE = CONTRIB + 'prometheus/minicoin.rules.test.yml'
export const PROMETHEUS_CONFIG = CONTRIB + 'prometheus/prometheus.yml'
export const DASHBOARD_FILE = CONTRIB + 'grafana/minicoin.json'

export interface GrafanaTarget { refId: string, expr: string, legendFormat?: string, datasource?: { type: string, uid: string } }
export interface GrafanaPanel {
  id: number
  type: string
  title: string
  gridPos: { x: number, y: number, w: number, h: number }
  datasource?: { type: string, uid: string }
  targets?: GrafanaTarget[]
}
export interface GrafanaVariable { name: string, type: string, query?: unknown, definition?: string }
export interface GrafanaDashboard {
  uid: string
  title: string
  schemaVersion: number
  panels: GrafanaPanel[]
  templating: { list: GrafanaVariable[] }
}

export function readDashboard (): GrafanaDashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as GrafanaDashboard
}

export interface NamedExpr { name: string, expr: string }

/** Every PromQL expression of the dashboard: panel queries and query variables. */
export function dashboardExpressions (d: GrafanaDashboard = readDashboard()): NamedExpr[] {
  const out: NamedExpr[] = []
  for (const p of d.panels) for (const t of p.targets ?? []) out.push({ name: `panel "${p.title}" ${t.refId}`, expr: t.expr })
  return out
}

/** The alerts of the rules file with their expressions (each written on one line, which this checks). */
export function ruleExpressions (text = readFileSync(RULES_FILE, 'utf8')): NamedExpr[] {
  const out: NamedExpr[] = []
  for (const m of text.matchAll(/^\s*- alert: (\w+)\n\s*(?:#.*\n\s*)*expr: (.+)$/gm)) out.push({ name: m[1], expr: m[2].trim() })
  const declared = [...text.matchAll(/^\s*- (?:alert|record): /gm)].length
  if (out.length !== declared) throw new Error(`read ${out.length} of the ${declared} rules of ${RULES_FILE}: write each expr on the line after its alert`)
  return out
}

export interface Substitutions { network: string, instance: string, rateInterval: string }

/** What Grafana does before querying: template variables and $__rate_interval replaced. */
export function substitute (expr: string, s: Substitutions): string {
  return expr
    .replaceAll('$__rate_interval', s.rateInterval)
    .replaceAll('$network', s.network)
    .replaceAll('$instance', s.instance)
}

/** Variables an expression uses ($name, ${name}). */
export function variablesOf (expr: string): string[] {
  return [...new Set([...expr.matchAll(/\$\{?(\w+)/g)].map(m => m[1]))]
}

/**
 * An alert condition with `bool` after each comparison: where the plain
 * expression keeps only the series that breach a threshold (none, on a
 * healthy network), this one keeps every series with 0 or 1, so querying it
 * shows the alert is evaluated over real series rather than vacuously empty.
 */
export function asBool (expr: string): string {
  return expr.replace(/\s(==|!=|>=|<=|>|<)\s+(?!bool\b)/g, ' $1 bool ')
}

/** Metric names an expression reads (label values and strings removed first). */
export function metricNamesOf (expr: string): string[] {
  const bare = expr.replace(/"[^"]*"/g, '""').replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  return [...new Set([...bare.matchAll(/\b(minicoin_\w+|process_\w+|nodejs_\w+|libp2p_\w+|up)\b(?!\s*\()/g)].map(m => m[1]))]
}
