import protobuf from 'protobufjs'
import Long from 'long'
import { descriptor } from './descriptor.js'

// protobufjs decodes uint64 to Long only when it can find the long library.
protobuf.util.Long = Long
protobuf.configure()

const root = protobuf.Root.fromJSON(descriptor)
const t = (name: string): protobuf.Type => root.lookupType(`minicoin.v1.${name}`)

/** The message types of proto/minicoin.proto. */
export const wire = {
  TxInput: t('TxInput'),
  TxOutput: t('TxOutput'),
  Transaction: t('Transaction'),
  BlockHeader: t('BlockHeader'),
  Block: t('Block'),
  HeaderAnnouncement: t('HeaderAnnouncement'),
  Status: t('Status'),
  GetHeaders: t('GetHeaders'),
  Headers: t('Headers'),
  GetBlocks: t('GetBlocks'),
  Blocks: t('Blocks'),
  SyncRequest: t('SyncRequest'),
  SyncResponse: t('SyncResponse'),
  Error: t('Error'),
  MerkleProof: t('MerkleProof'),
  GetAddressHistory: t('GetAddressHistory'),
  GetTxProof: t('GetTxProof'),
  Proofs: t('Proofs'),
  SpvRequest: t('SpvRequest'),
  SpvResponse: t('SpvResponse')
} as const

export { Long }
