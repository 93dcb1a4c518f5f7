import Table from 'cli-table3'

import type { SettingsReport } from '../config/config.js'

const plain = { style: { head: [] as string[], border: [] as string[] } }

export function renderSettings(r: SettingsReport): string {
  const lines = [
    `Config:      ${r.config ?? 'none (no dynx.config.json or dynx.config.yaml here or in a parent folder)'}`,
    `Environment: ${r.environment ? `${r.environment}${r.protected ? ' (protected: writing into it needs confirmation)' : ''}` : 'none (--env not given)'}`,
  ]
  const t = new Table({ head: ['Setting', 'Value', 'From'], ...plain })
  for (const [name, s] of Object.entries(r.settings)) {
    const value = s.value === null || s.value === '' ? '-' : String(s.value)
    t.push([name, value, s.from === 'none' ? '-' : s.from])
  }
  lines.push(t.toString())
  if (r.environments.length) {
    lines.push(`Environments: ${r.environments.map((e) => `${e.name}${e.prefix ? ` (${e.prefix}*)` : ''}${e.protected ? ' [protected]' : ''}`).join(', ')}`)
  }
  return lines.join('\n')
}
