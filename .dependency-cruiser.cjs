// The layer order of docs/conventions.md section 8, checked by
// `npm run lint:layers` (part of `npm test`):
//
//   src/jute                 wire protocol, bytes only
//   src/errors.ts
//   src/base                 paths, Clock, the wait contract's helpers
//   src/client  src/server   (never each other)      src/testing (server)
//   src/recipes              (client)
//   src/cluster  src/rpc  src/log   (recipes, client; never each other)
//   src/tables               (log, cluster, rpc)
//   src/shell  src/dashboard (tables, log, rpc, cluster, recipes, client; never server
//                            nor the cli; the dashboard may import the shell)
//   src/dashboard/ui         the browser bundle: only itself and dashboard/protocol.ts
//   src/cli                  (anything)
//   src/index.ts             (anything below the cli)
//
// Each layer has one rule naming what it may import from src/; anything else
// in src/ is forbidden. Writing the rules as allow-lists (a `pathNot` of the
// layers below) means a new layer directory is forbidden to the existing
// layers until someone places it in the order here. Type-only imports count
// (tsPreCompilationDeps): a type from an upper layer couples the layers just
// as much, and its declaration would leak into the lower layer's API report.
//
// test/architecture/layers.test.ts runs this file on fixtures to prove that
// each kind of violation is reported, and on src/ to assert there is none.

/** The modules a layer may import, as one regex of src/ paths. */
const layers = (...names) =>
  `^src/(?:${names.map((n) => (n === 'errors' ? 'errors\\.ts$' : `${n}/`)).join('|')})`;

/** A rule forbidding `layer` to import anything in src/ but itself and `allowed`. */
const layer = (name, comment, from, allowed) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: '^src/', pathNot: layers(...allowed) },
});

module.exports = {
  forbidden: [
    layer(
      'jute-imports-nothing',
      'src/jute is the bottom layer (the wire protocol, bytes only): it imports nothing from src/ outside itself.',
      '^src/jute/',
      ['jute'],
    ),
    layer(
      'errors-imports-only-jute',
      'src/errors.ts (the HerdError tree) may only import src/jute (the ZooKeeper error codes).',
      '^src/errors\\.ts$',
      ['jute'],
    ),
    layer(
      'base-imports-only-jute-errors',
      'src/base (paths, Clock, the wait helpers) may only import src/jute and src/errors.ts.',
      '^src/base/',
      ['base', 'jute', 'errors'],
    ),
    layer(
      'client-not-to-server-or-above',
      'src/client may only import src/base, src/errors.ts and src/jute: never src/server (the client must work against any ZooKeeper) nor a layer above it.',
      '^src/client/',
      ['client', 'base', 'errors', 'jute'],
    ),
    layer(
      'server-not-to-client-or-above',
      'src/server may only import src/base, src/errors.ts and src/jute: never src/client nor a layer above it.',
      '^src/server/',
      ['server', 'base', 'errors', 'jute'],
    ),
    layer(
      'testing-imports-only-server',
      'src/testing (herd-zk/testing, an in-process server for tests) may only import src/server, src/base, src/errors.ts and src/jute.',
      '^src/testing/',
      ['testing', 'server', 'base', 'errors', 'jute'],
    ),
    layer(
      'recipes-imports-only-client',
      'src/recipes may only import src/client, src/base, src/errors.ts and src/jute: never src/server, and nothing above it.',
      '^src/recipes/',
      ['recipes', 'client', 'base', 'errors', 'jute'],
    ),
    layer(
      'cluster-not-to-rpc-log-or-above',
      'src/cluster may only import src/recipes, src/client and below: src/rpc and src/log are its siblings, src/tables is above it.',
      '^src/cluster/',
      ['cluster', 'recipes', 'client', 'base', 'errors', 'jute'],
    ),
    layer(
      'rpc-not-to-cluster-log-or-above',
      'src/rpc may only import src/recipes, src/client and below: src/cluster and src/log are its siblings, src/tables is above it.',
      '^src/rpc/',
      ['rpc', 'recipes', 'client', 'base', 'errors', 'jute'],
    ),
    layer(
      'log-not-to-cluster-rpc-or-above',
      'src/log may only import src/recipes, src/client and below: src/cluster and src/rpc are its siblings, src/tables is above it.',
      '^src/log/',
      ['log', 'recipes', 'client', 'base', 'errors', 'jute'],
    ),
    layer(
      'tables-not-to-shell-or-above',
      'src/tables may only import src/log, src/cluster, src/rpc (transactions are forwarded to the primary over rpc), src/recipes, src/client and below.',
      '^src/tables/',
      ['tables', 'log', 'cluster', 'rpc', 'recipes', 'client', 'base', 'errors', 'jute'],
    ),
    layer(
      'shell-not-to-server-or-cli',
      'src/shell (herd shell) sits above every client-side layer, so its views can read what rpc, log and tables keep; it never imports src/server (it must work against any ZooKeeper) nor src/cli, which imports it.',
      '^src/shell/',
      ['shell', 'tables', 'log', 'rpc', 'cluster', 'recipes', 'client', 'base', 'errors', 'jute'],
    ),
    layer(
      'dashboard-not-to-server-or-cli',
      'src/dashboard (the web dashboard\'s backend) sits beside src/shell and reuses its operations and views; it never imports src/server (it must work against any ZooKeeper; herd server mounts it through the cli) nor src/cli.',
      '^src/dashboard/(?!ui/)',
      ['dashboard', 'shell', 'tables', 'log', 'rpc', 'cluster', 'recipes', 'client', 'base', 'errors', 'jute'],
    ),
    {
      name: 'dashboard-ui-imports-only-protocol',
      comment:
        'src/dashboard/ui is bundled for the browser (scripts/build-dashboard.mjs): it may import only itself and the types of src/dashboard/protocol.ts, never Node code.',
      severity: 'error',
      from: { path: '^src/dashboard/ui/' },
      to: { path: '^src/', pathNot: '^src/dashboard/(?:ui/|protocol\\.ts$)' },
    },
    {
      name: 'index-not-to-cli',
      comment: 'src/index.ts (the herd-zk entry point) may import any layer but src/cli, which is the top.',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'not-in-a-layer',
      comment:
        'Every module of src/ belongs to a layer of docs/conventions.md section 8. Place a new directory in the order in .dependency-cruiser.cjs before it imports anything.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: '^src/(?:(?:jute|base|client|server|testing|recipes|cluster|rpc|log|tables|shell|dashboard|cli)/|errors\\.ts$|index\\.ts$)',
      },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere in src/ (docs/conventions.md section 8), not even inside one layer.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test-or-bench',
      comment: 'The published code never imports the tests or the benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(?:test|bench)/' },
    },
    {
      name: 'src-not-to-dev-dependency',
      comment:
        'src/ is published and installed without devDependencies: a run-time import of one would fail for every user. (A type-only import is erased.)',
      severity: 'error',
      // The browser UI imports its libraries (preact, uplot) from devDependencies on purpose: they are bundled into dist/ at build time.
      from: { path: '^src/', pathNot: '^src/dashboard/ui/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import dependency-cruiser cannot resolve would escape every rule above (and would fail at run time).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Layer rules apply to type-only imports too.
    tsPreCompilationDeps: true,
    doNotFollow: { path: '^node_modules/' },
    exclude: { path: '^(?:dist|build)/' },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
