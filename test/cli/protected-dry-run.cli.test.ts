import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { runCli, tempDir } from '../helpers.js'

// README, "Protected environments": writing into one needs confirmation; `--dry-run` and
// `apply --check` need none. Which flag means "writes nothing" is each command's static
// dryRunFlag (a unit test holds it to the command's flags); these runs check the guard reads it.

describe('a protected environment (--local): a dry run needs no confirmation, the real run does', () => {
  it('apply --check, copy --dry-run and throughput bump --dry-run pass; the same without them is exit 2 before any change', { timeout: 180_000 }, async () => {
    const dir = tempDir('dynx-protected-')
    writeFileSync(join(dir, 'dynx.config.yaml'), 'environments:\n  dev:\n    local: true\n    prefix: dev_\n    protected: true\n')
    writeFileSync(join(dir, 'tables.yaml'), 'tables:\n  - name: things\n    hashKey: { name: id, type: S }\n    billing: PROVISIONED\n    read: 1\n    write: 1\n')
    const env = { DYNX_HOME: join(dir, 'home'), DYNX_LOCAL_PATH: join(dir, 'local') }
    const dynx = (...args: string[]) => runCli([...args, '--env', 'dev'], { env, cwd: dir })

    const refusal = '"dev" is a protected environment'
    // Nothing exists yet: apply --check reports the missing table as drift (3), without asking.
    const check = await dynx('apply', 'tables.yaml', '--check')
    expect(check.stderr).not.toContain(refusal)
    expect(check.code).toBe(3)
    const apply = await dynx('apply', 'tables.yaml')
    expect(apply.stderr).toContain(refusal)
    expect(apply.code).toBe(2)
    expect((await dynx('tables', 'list', '--json')).stdout).not.toContain('dev_things')

    expect((await dynx('apply', 'tables.yaml', '--yes', '--confirm-env', 'dev')).code).toBe(0)
    for (const [dry, real] of [
      [
        ['copy', 'things', 'things_copy', '--dry-run'],
        ['copy', 'things', 'things_copy'],
      ],
      [
        ['throughput', 'bump', 'things', '--read', '5', '--dry-run'],
        ['throughput', 'bump', 'things', '--read', '5'],
      ],
    ]) {
      const d = await dynx(...dry)
      expect(d.stderr, dry.join(' ')).not.toContain(refusal)
      expect(d.code, `${dry.join(' ')}: ${d.stderr}`).toBe(0)
      const r = await dynx(...real)
      expect(r.stderr, real.join(' ')).toContain(refusal)
      expect(r.code, real.join(' ')).toBe(2)
    }
    const tables = (await dynx('tables', 'list', '--json')).stdout
    expect(tables).toContain('dev_things')
    expect(tables).not.toContain('dev_things_copy')
  })
})
