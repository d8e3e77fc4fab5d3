// Types of client.mjs for the TypeScript test that drives it (the client itself is plain JS).
import type { Libp2p } from 'libp2p'
import type protobuf from 'protobufjs'

export class ProtocolError extends Error { readonly code: string }
export const pb: Record<'Transaction' | 'BlockHeader' | 'Block' | 'HeaderAnnouncement' | 'SyncRequest' | 'SyncResponse' | 'SpvRequest' | 'SpvResponse', protobuf.Type>
export function hex (b: Uint8Array): string
export function unhex (s: string): Uint8Array
export function decodeCanonical (type: protobuf.Type, data: Uint8Array): any
export function dsha256 (b: Uint8Array): Uint8Array
export function txid (tx: any): Uint8Array
export function txBytes (tx: any): Uint8Array
export function sighash (tx: any, network: string): Uint8Array
export function header80 (h: any): Uint8Array
export function blockHash (h: any): Uint8Array
export function bitsToTarget (bits: number): bigint | null
export function meetsTarget (hash: Uint8Array, target: bigint): boolean
export function merkleRoot (leaves: Uint8Array[]): Uint8Array
export function rootFromBranch (leaf: Uint8Array, branch: Uint8Array[], index: number): Uint8Array | null
export function decodeAddress (address: string, network: string): Uint8Array
export function checkPow (h: any, network: string): void
export function targetToBits (target: bigint): number
export function retargetBits (prevBits: number, actualTimespan: number, network: string): number
export function checkHeaderContext (h: any, height: number, ancestor: (height: number) => { time: number, bits: number }, network: string, now: number): void
export function verifyBlock (data: Uint8Array, ctx: { net: string, height?: number, utxo?: Map<string, { amount: bigint, address: Uint8Array }> }): { block: any, hash: Uint8Array, txids: Uint8Array[], signatures: number }

export interface GossipRecord { hash: string, txids: string[], signatures: number, height?: number, spendsChecked: boolean }
export interface ClientState {
  headers: Map<string, { header: any, height: number }>
  chain: string[]
  utxo: Map<string, { amount: bigint, address: Uint8Array }>
  utxoHeight: number
  gossip: { verified: GossipRecord[], rejected: string[], headers: string[] }
  signaturesChecked: number
}
export interface MerkleProofMessage { blockHash: Uint8Array, height?: number, index?: number, branch: Uint8Array[], transaction?: any }
export interface Client {
  node: Libp2p
  peerId: string
  state: ClientState
  subscribers: (topic: 'block' | 'header' | 'tx') => number
  status: () => Promise<{ tip: string, height: number, work: bigint }>
  syncHeaders: (protocol?: 'sync' | 'spv') => Promise<number>
  syncBlocks: () => Promise<number>
  getBlock: (hashHex: string) => Promise<any>
  headers: (protocol: 'sync' | 'spv', locatorHex: string[], max?: number, stopHex?: string) => Promise<string[]>
  blocks: (hashesHex: string[]) => Promise<{ blocks: string[], notFound: string[] }>
  verifyProof: (p: MerkleProofMessage) => { txid: string, height: number, index: number }
  txProof: (txidHex: string) => Promise<MerkleProofMessage>
  addressHistory: (address: string) => Promise<{ proofs: Array<{ txid: string, height: number, index: number }>, tipHeight: number, tipHash: string }>
  stop: () => Promise<void>
}
export function startClient (opts: { network: string, peer: string, log?: (msg: string) => void }): Promise<Client>
