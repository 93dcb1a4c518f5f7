import { createConnection } from '../../src/connection/clients.js'
import { DynxCommand } from '../../src/cli/base.js'
import { renderSettings } from '../../src/cli/config-render.js'
import { settingsReport, type SettingsReport } from '../../src/config/config.js'

export default class ConfigShow extends DynxCommand<typeof ConfigShow> {
  static override summary = 'Show the settings dynx would use here, and where each comes from.'
  static override description = `Reads dynx.config.json or dynx.config.yaml (this folder or the nearest parent, --config, or
DYNX_CONFIG) and resolves region, profile, endpoint, local, prefix and the defaults with the
order dynx always uses: a flag on the command line, then the --env environment, then the
config's defaults, then AWS's own configuration (AWS_REGION, AWS_PROFILE, ~/.aws/config).
Nothing is contacted.`
  static override examples = ['<%= config.bin %> config show', '<%= config.bin %> config show --env prod', '<%= config.bin %> config show --env staging --region eu-west-1 --json']

  public async run(): Promise<SettingsReport> {
    const r = this.resolved
    // What the SDK itself would pick for the region (env, then the profile in ~/.aws/config); no request is made.
    const probe = r.local.value ? undefined : createConnection({ profile: r.profile.value })
    const awsRegion = await probe?.dynamodb.config.region().catch(() => undefined)
    probe?.destroy()
    const report = settingsReport(r, this.loadedConfig, process.env, awsRegion)
    if (!this.jsonEnabled()) this.log(renderSettings(report))
    return report
  }
}
