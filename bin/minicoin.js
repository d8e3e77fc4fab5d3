#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npm ci` alone makes the command work.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
