// Import rules for the TypeScript tree, checked by `npm run lint:imports` (part of `npm test`).
// Type-only imports count: a cycle through types is still a cycle a reader has to untangle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form a tree of layers; a cycle means two files are one idea or a layer is inverted.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'protocol-is-pure',
      severity: 'error',
      comment: 'protocol/ is the shared language of wallets, nodes, solvers and contracts: it imports no other folder.',
      from: { path: '^protocol/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(node|solver|devnet|contracts|test)/' },
    },
    {
      name: 'node-and-solver-are-separate',
      severity: 'error',
      comment: 'A node and a solver are separate processes that talk through protocol/ types and the HTTP API.',
      from: { path: '^node/' },
      to: { path: '^solver/' },
    },
    {
      name: 'solver-does-not-import-node',
      severity: 'error',
      comment: 'Except node/cli/, the command-line vocabulary every program shares.',
      from: { path: '^solver/' },
      to: { path: '^node/', pathNot: '^node/cli/' },
    },
    {
      name: 'solver-domain-is-pure',
      severity: 'error',
      comment: 'solver/domain/ is pure solving (intents and pool states in, a Solution out): it imports only itself and protocol/.',
      from: { path: '^solver/domain/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^(solver/domain|protocol)/|^node_modules/|^node:' },
    },
    {
      name: 'solver-infra-below-driver',
      severity: 'error',
      comment: 'solver/infra/ (node client, chain state) serves the driver; it never imports the driver or the CLI.',
      from: { path: '^solver/infra/' },
      to: { path: '^solver/(driver/|cli\\.ts)' },
    },
    {
      name: 'nothing-imports-a-cli-entry-point',
      severity: 'error',
      comment: 'solver/cli.ts, node/cli.ts and devnet/start.ts turn flags into a process; nothing builds on them.',
      from: {},
      to: { path: '^(solver/cli|node/cli|devnet/start)\\.ts$' },
    },
    {
      name: 'cli-is-a-leaf',
      severity: 'error',
      comment: 'node/cli/ is shared by the node, the solver and the devnet, so it imports none of them.',
      from: { path: '^node/cli/' },
      to: { path: '^(node|solver|devnet|contracts)/', pathNot: '^node/cli/' },
    },
    {
      name: 'only-the-db-folder-touches-level',
      severity: 'error',
      comment:
        'node/db/keys.ts declares every namespace and one repository serves each; nothing else sees raw keys, ranges or the level instance.',
      from: { pathNot: '^node/db/' },
      to: { path: '^node_modules/level/|^node/db/keys\\.ts$' },
    },
    {
      name: 'nothing-imports-the-devnet',
      severity: 'error',
      comment: 'The devnet is an application on top of the node, the solver and the contracts; only tests and benches use it.',
      from: { path: '^(protocol|node|solver|contracts)/' },
      to: { path: '^devnet/' },
    },
    {
      name: 'production-code-does-not-import-tests',
      severity: 'error',
      from: { path: '^(protocol|node|solver|devnet|contracts)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'client-does-not-import-deployment',
      severity: 'error',
      comment: 'contracts/client/ (encoders, signers, event decoding) is what solvers and nodes run with; deployment is devnet tooling.',
      from: { path: '^contracts/client/' },
      to: { path: '^contracts/deploy/' },
    },
    {
      name: 'runtime-code-does-not-import-deployment',
      severity: 'error',
      from: { path: '^(node|solver|protocol)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^contracts/deploy/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^contracts/(out|cache)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
