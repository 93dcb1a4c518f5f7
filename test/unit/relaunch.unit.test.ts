import { describe, expect, it } from 'vitest'

import { shouldRelaunch } from '../../src/cli/relaunch.js'

describe('relaunching streaming commands with a tighter heap', () => {
  it('relaunches scan, and nothing else', () => {
    expect(shouldRelaunch(['scan', 'users'], {}, [])).toBe(true)
    expect(shouldRelaunch(['tables', 'list'], {}, [])).toBe(false)
    expect(shouldRelaunch([], {}, [])).toBe(false)
  })

  it('never twice, and not when the user chose heap flags or opted out', () => {
    expect(shouldRelaunch(['scan'], { DYNX_RELAUNCHED: '1' }, [])).toBe(false)
    expect(shouldRelaunch(['scan'], { DYNX_NO_RELAUNCH: '1' }, [])).toBe(false)
    expect(shouldRelaunch(['scan'], {}, ['--max-old-space-size=4096'])).toBe(false)
    expect(shouldRelaunch(['scan'], { NODE_OPTIONS: '--max-semi-space-size=8' }, [])).toBe(false)
  })
})
