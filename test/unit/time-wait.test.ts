import { describe, expect, it } from 'vitest'
import { timeWaitPorts } from '../../bench/support/time-wait.js'

// /proc/net/tcp as Linux writes it (header, then one line per socket; ports in hex, state 06 = TIME-WAIT)
const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:BCCC 0100007F:94C5 06 00000000:00000000 03:00000D5B 00000000     0        0 0 3 0000000000000000
   1: 0100007F:B06C 0100007F:BCCC 06 00000000:00000000 03:00000D5B 00000000     0        0 0 3 0000000000000000
   2: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   3: 0100007F:BD0C 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5678 1 0000000000000000 20 4 30 10 -1
`

describe('timeWaitPorts (the side-by-side bench waits for bcoin\'s ports)', () => {
  it('lists the local ports of TIME-WAIT entries only', () => {
    // 0xBCCC = 48332 (a closed connection's local port), 0xB06C = 45164; LISTEN (0A) and ESTABLISHED (01) are not waited for
    expect([...timeWaitPorts(TABLE)].sort()).toEqual([45164, 48332])
  })

  it('reads an empty or malformed table as nothing held', () => {
    expect(timeWaitPorts('').size).toBe(0)
    expect(timeWaitPorts('header\n  garbage line\n 0: x y 06').size).toBe(0)
  })
})
