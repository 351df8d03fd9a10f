/**
 * The layer lint (`npm run lint`): which folder may import which, checked by dependency-cruiser on
 * every import, type-only ones included. Paths are relative to the folder depcruise runs in.
 *
 *   schema/  <-  tarball/, audit/  <-  sandbox/  <-  registry-server/, cli/
 *
 * examples/workspace/{servers,skills}/ are this repository's example skills workspace (skill code and the generated
 * MCP bindings it imports), not product code; test/, testkit/, bench/ and scripts/ may import
 * product code, never the other way round.
 */

/** Everything that is ours and not a test, bench or script: the layers and the skills workspace. */
const NOT_TEST_CODE = '^(?!(test|testkit|bench|scripts)/)';

/** A rule: from `from` (a path regex), an import of our own code outside `allowed` (folders) is an error. */
function onlyImports(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { dependencyTypes: ['local'], path: NOT_TEST_CODE, pathNot: `^(${allowed.join('|')})/` },
  };
}

module.exports = {
  forbidden: [
    onlyImports('schema-is-the-base', 'schema/ holds zod schemas and pure functions: it imports no other folder of ours', '^schema/', ['schema']),
    {
      name: 'schema-no-node-builtins',
      comment: 'schema/ is pure: no node: built-ins (file system, processes, crypto), so anything can use it',
      severity: 'error',
      from: { path: '^schema/' },
      to: { dependencyTypes: ['core'] },
    },
    // tarball/ and audit/ are siblings on one layer and import neither each other nor anything above.
    onlyImports('tarball-imports-only-schema', 'tarball/ builds on schema/ alone', '^tarball/', ['schema', 'tarball']),
    onlyImports('audit-imports-only-schema', 'audit/ builds on schema/ alone', '^audit/', ['schema', 'audit']),
    onlyImports('sandbox-imports-only-lower-layers', 'sandbox/ builds on schema/, tarball/ and audit/', '^sandbox/', ['schema', 'tarball', 'audit', 'sandbox']),
    onlyImports('registry-server-not-cli', 'registry-server/ builds on the lower layers and never imports cli/', '^registry-server/', ['schema', 'tarball', 'audit', 'sandbox', 'registry-server']),
    onlyImports('cli-imports-only-lower-layers', 'cli/ builds on the lower layers (registry-server/ only as the next rules allow)', '^cli/', ['schema', 'tarball', 'audit', 'sandbox', 'cli', 'registry-server']),
    {
      name: 'cli-registry-server-only-for-serve',
      comment: '`skills serve` runs the registry in the CLI process (and `skills registry` its storage); no other CLI code imports registry-server/',
      severity: 'error',
      from: { path: '^cli/', pathNot: '^cli/commands/(serve|registry)\\.ts$' },
      to: { path: '^registry-server/' },
    },
    {
      name: 'cli-serve-imports-registry-entry',
      comment: '`skills serve` and `skills registry` import registry-server/ through its entry, index.ts',
      severity: 'error',
      from: { path: '^cli/commands/(serve|registry)\\.ts$' },
      to: { path: '^registry-server/', pathNot: '^registry-server/index\\.ts$' },
    },
    {
      name: 'cli-serve-imports-registry-lazily',
      comment: '...and only with import(), so no other command loads the registry (and SQLite) at start',
      severity: 'error',
      from: { path: '^cli/commands/(serve|registry)\\.ts$' },
      to: { path: '^registry-server/index\\.ts$', dependencyTypesNot: ['dynamic-import'] },
    },
    onlyImports('servers-stand-alone', 'servers/ holds generated MCP bindings for skill code: they import only each other', '^examples/workspace/servers/', ['examples/workspace/servers']),
    onlyImports('skills-import-only-servers', 'skill code imports the MCP bindings in servers/ and other skills, nothing of the registry or CLI', '^examples/workspace/skills/', ['examples/workspace/skills', 'examples/workspace/servers']),
    {
      name: 'product-not-test-code',
      comment: 'product code and the skills workspace never import test/, testkit/, bench/ or scripts/',
      severity: 'error',
      from: { path: NOT_TEST_CODE },
      to: { path: '^(test|testkit|bench|scripts)/' },
    },
    {
      name: 'test-helpers-not-tests',
      comment: 'testkit/ serves tests and benches, and benches and scripts stand apart from tests: only test files import test/',
      severity: 'error',
      from: { path: '^(testkit|bench|scripts)/' },
      to: { path: '^test/' },
    },
    {
      name: 'testkit-not-benches',
      comment: 'testkit/ is shared by tests and benches, so it imports neither bench/ nor scripts/',
      severity: 'error',
      from: { path: '^testkit/' },
      to: { path: '^(bench|scripts)/' },
    },
    {
      name: 'no-circular',
      comment: 'no import circle anywhere, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves: an import the lint cannot follow is one it cannot check',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JS API for dependency-cruiser to parse with, so swc reads the TypeScript;
    // type-only imports count as dependencies (tsPreCompilationDeps), so circles through types count too.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: '(^|/)node_modules/' },
    // Resolve package subpaths the way Node and the bundler do (`@modelcontextprotocol/sdk/server/mcp.js`).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
