import * as Flags from '@oclif/core/flags'
import { once } from 'node:events'

import { DynxCommand } from '../../src/cli/base.js'
import { defaultLocalPath, startLocalEngine } from '../../src/local/engine.js'

export default class LocalServe extends DynxCommand<typeof LocalServe> {
  static override summary = 'Run the embedded DynamoDB-compatible engine as a server for other programs.'
  static override description = `Serves the same store that --local uses ($DYNX_LOCAL_PATH, default ~/.dynx/local) on
127.0.0.1 until interrupted (Ctrl-C). Point any DynamoDB client at it with
--endpoint http://127.0.0.1:PORT (any credentials and region are accepted). While it runs, other
dynx --local commands on the same store are refused; use --endpoint instead.`
  static override examples = [
    '<%= config.bin %> local serve',
    '<%= config.bin %> local serve --port 8001 --host 0.0.0.0',
    'DYNX_LOCAL_PATH=./.dynx <%= config.bin %> local serve --in-memory',
  ]
  static override flags = {
    port: Flags.integer({ summary: 'Port to listen on (0 picks a free one).', default: 8000, min: 0, max: 65535 }),
    host: Flags.string({ summary: 'Address to bind.', default: '127.0.0.1' }),
    'in-memory': Flags.boolean({ summary: 'Keep nothing on disk.' }),
  }

  public async run(): Promise<void> {
    const engine = await startLocalEngine({ port: this.flags.port, host: this.flags.host, inMemory: this.flags['in-memory'], path: defaultLocalPath() })
    const ready = { endpoint: engine.endpoint, ...(engine.path ? { path: engine.path } : {}) }
    // Printed at once (not at exit) so scripts can read the endpoint.
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(ready)}\n`)
    else this.log(`dynx local engine listening on ${engine.endpoint}${engine.path ? ` (store ${engine.path})` : ' (in memory)'}; Ctrl-C to stop`)
    await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])
    await engine.close()
    this.progress.info('stopped')
  }
}
