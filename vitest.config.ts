import { configDefaults, defineConfig } from 'vitest/config'

// Tests live in test/ and are named by kind:
//   *.unit.test.ts  no engines (also any other *.test.ts)
//   *.int.test.ts   against dynalite, DynamoDB Local and moto
//   *.cli.test.ts   the built CLI, against the same engines
// Only the int and cli projects start the engines (once, shared between them),
// so `vitest run --project unit` needs neither Java nor Python.
const engineSetup = ['test/setup/global-setup.ts']

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // Global setups have no timeout, so the first moto virtualenv install is not
    // charged to hooks; this only bounds the tests' own beforeAll/afterAll.
    hookTimeout: 180_000,
    pool: 'forks',
    // The plain closing line CI reads ("tests: N passed, N failed, N skipped").
    reporters: ['default', './test/setup/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Project arrays concatenate with the root's under `extends`, so each
          // project names its own include rather than inheriting a root one.
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/**/*.int.test.ts', 'test/**/*.cli.test.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'int', include: ['test/**/*.int.test.ts'], globalSetup: engineSetup },
      },
      {
        extends: true,
        test: { name: 'cli', include: ['test/**/*.cli.test.ts'], globalSetup: engineSetup },
      },
    ],
  },
})
