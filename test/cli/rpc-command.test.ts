/**
 * `herd rpc ls` and `herd rpc call`, run as child processes against objects
 * served by this test process, on Herd's server and on real ZooKeeper.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Client } from '../../src/client/index.js';
import { list, serve, type Served, type ServiceInfo } from '../../src/rpc/index.js';
import { DEMO_METHODS, Demo } from '../rpc/demo.js';
import { connect, forEachTarget, waitFor } from '../support/targets.js';
import { CLI, type HerdRun } from './herd.js';

/** Runs `herd rpc <args>` without blocking this process, which serves the objects the command calls. */
function herdRpc(...args: string[]): Promise<HerdRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'rpc', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Results of the types JSON lacks. */
class Values {
  sample(): unknown {
    return {
      big: 2n ** 70n,
      map: new Map([['x', 1]]),
      pairs: new Map([[1, 'one']]),
      set: new Set(['a', 'b']),
      buf: Buffer.from('hello'),
      date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      nan: NaN,
      none: undefined,
      empty: [],
    };
  }
}

const SORTED_METHODS = [...DEMO_METHODS].sort();

// The tests are independent (each reads or calls; the one that serves a service of its own names it apart)
// and each is mostly node start-ups of `herd`: four at a time, and the cases inside a test side by side.
forEachTarget('herd rpc', (target) => {
  const run = Date.now().toString(36);
  const name = `cli-demo-${process.pid}-${run}`;
  const valuesName = `cli-values-${process.pid}-${run}`;
  let client: Client;
  let a: Demo;
  const served: Served[] = [];
  const coordination = (): string[] => ['--coordination', target().connectionString];

  before(async () => {
    client = await connect(target());
    a = new Demo('a');
    served.push(await serve(client, name, a, { expose: DEMO_METHODS, tags: { dc: 'a' }, identifier: 'node-a' }));
    served.push(await serve(await connect(target()), name, new Demo('b'), { expose: DEMO_METHODS, tags: { dc: 'b', rack: '2' }, identifier: 'node-b' }));
    served.push(await serve(client, valuesName, new Values(), { expose: ['sample'], identifier: 'node-v' }));
  });
  after(async () => {
    await Promise.all(served.map((s) => s.close()));
  });

  test('ls prints each service with its instances as a table', async () => {
    const r = await herdRpc('ls', name, ...coordination());
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `${name}: 2 instances`);
    assert.match(lines[1]!, /^ADDRESS\s+IDENTIFIER\s+PID\s+PROTOCOL\s+TAGS\s+METHODS$/);
    assert.deepEqual(
      lines.slice(2).map((l) => l.split(/\s{2,}/)),
      [
        [served[0]!.address, 'node-a', String(process.pid), 'herd/1', 'dc=a', SORTED_METHODS.join(',')],
        [served[1]!.address, 'node-b', String(process.pid), 'herd/1', 'dc=b,rack=2', SORTED_METHODS.join(',')],
      ],
    );

    const all = await herdRpc('ls', ...coordination());
    assert.equal(all.status, 0, all.stderr);
    assert.ok(all.stdout.includes(`${name}: 2 instances\n`), all.stdout);
    assert.match(all.stdout, new RegExp(`\\n${valuesName}: 1 instance\\nADDRESS.*\\n${served[2]!.address.replace(/\./g, '\\.')}\\s+node-v\\s+\\d+\\s+herd/1\\s+-\\s+sample\\n`));
  });

  test('ls shows a service whose instances are gone, and says "no services" for an empty registry', async () => {
    const gone = `cli-gone-${process.pid}-${run}`;
    await (await serve(client, gone, new Demo('gone'), { expose: ['echo'] })).close();
    const r = await herdRpc('ls', gone, ...coordination());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${gone}: no live instance\n`);

    const empty = await herdRpc('ls', '--coordination', `${target().connectionString}/empty-${run}`);
    assert.equal(empty.status, 0, empty.stderr);
    assert.equal(empty.stdout, 'no services\n');
  });

  test('ls --json prints what list() returns', async () => {
    const r = await herdRpc('ls', name, '--json', ...coordination());
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), await list(client, name));
    const all = JSON.parse((await herdRpc('ls', '--json', ...coordination())).stdout) as ServiceInfo[];
    assert.deepEqual(
      all.find((s) => s.name === valuesName),
      (await list(client, valuesName))[0],
    );
  });

  test('call parses each argument as JSON and prints the result as JSON', async () => {
    const cases: [string[], string][] = [
      [['add', '20', '22'], '42'],
      [['add', '-5', '3'], '-2'],
      [['repeat', '"ab"', '3'], '"ababab"'],
      [['echo', '{"a":[1,"x",null],"b":{"c":true}}'], '{\n  "a": [\n    1,\n    "x",\n    null\n  ],\n  "b": {\n    "c": true\n  }\n}'],
      [['record', '"x"'], 'null'],
    ];
    const runs = await Promise.all(cases.map(([args]) => herdRpc('call', name, ...args, ...coordination())));
    cases.forEach(([args, out], i) => {
      const r = runs[i]!;
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, `${out}\n`, args.join(' '));
      assert.equal(r.stderr, '');
    });
    // --tags picks the instance.
    const labels = ['a', 'b'];
    const tagged = await Promise.all(labels.map((label) => herdRpc('call', name, 'whoAmI', '--tags', `dc=${label}`, ...coordination())));
    labels.forEach((label, i) => {
      const r = tagged[i]!;
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { pid: process.pid, label });
    });
  });

  test('bigint, Map, Set, Buffer and Date results are printed readably, as JSON', async () => {
    const r = await herdRpc('call', valuesName, 'sample', ...coordination());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '{',
        '  "big": 1180591620717411303424,',
        '  "map": {',
        '    "x": 1',
        '  },',
        '  "pairs": [',
        '    [',
        '      1,',
        '      "one"',
        '    ]',
        '  ],',
        '  "set": [',
        '    "a",',
        '    "b"',
        '  ],',
        `  "buf": "${Buffer.from('hello').toString('base64')}",`,
        '  "date": "2026-01-02T03:04:05.000Z",',
        '  "nan": "NaN",',
        '  "empty": []',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(JSON.parse(r.stdout).date, '2026-01-02T03:04:05.000Z');
  });

  test('a remote error prints its class name, code and message, exit 1', async () => {
    const r = await herdRpc('call', name, 'fail', '"over quota"', '"QUOTA"', ...coordination());
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'herd: QuotaError QUOTA: over quota\n');
  });

  test('a method that is not exposed is refused with the exposed ones, exit 1', async () => {
    const methods = ['notExposed', '_secret', 'constructor', 'secretField'];
    const runs = await Promise.all(methods.map((method) => herdRpc('call', name, method, ...coordination())));
    for (const [i, method] of methods.entries()) {
      const r = runs[i]!;
      assert.equal(r.status, 1, method);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `herd: rpc call ${name}.${method}: method '${method}' is not exposed (exposed: ${SORTED_METHODS.join(', ')})\n`);
    }
  });

  test('an argument that is not JSON is named, before anything is contacted', async () => {
    // Nothing listens on port 1: the arguments are checked before connecting.
    const r = await herdRpc('call', name, 'add', '1', '{oops}', '--coordination', '127.0.0.1:1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^herd: argument 2 is not valid JSON: \{oops\} \(.+\); a string is written with its quotes: '"\{oops\}"'\n$/);
    const word = await herdRpc('call', name, 'echo', 'hello', ...coordination());
    assert.equal(word.status, 1);
    assert.match(word.stderr, /^herd: argument 1 is not valid JSON: hello .*'"hello"'\n$/);
  });

  test('an unknown service, or no instance with the tags: exit 1, and no service node is left behind', async () => {
    const unknown = `cli-nosuch-${process.pid}-${run}`;
    const r = await herdRpc('call', unknown, 'whoAmI', ...coordination());
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `herd: rpc call ${unknown}.whoAmI: no live instance of service '${unknown}' (see herd rpc ls)\n`);
    assert.ok(!(await list(client)).some((s) => s.name === unknown), 'call created no registry node');

    const tagged = await herdRpc('call', name, 'whoAmI', '--tags', 'dc=c', ...coordination());
    assert.equal(tagged.status, 1);
    assert.equal(tagged.stderr, `herd: rpc call ${name}.whoAmI: no live instance of service '${name}' with tags dc=c (see herd rpc ls)\n`);
  });

  test('--timeout is the call deadline: exit 1, and the serving method sees the abort', async () => {
    const started = Date.now();
    const r = await herdRpc('call', name, 'sleep', '20000', '--timeout', '300', '--tags', 'dc=a', ...coordination());
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^herd: rpc call ${name}\\.sleep: no reply within 300 ms \\(--timeout\\)\\n$`));
    assert.ok(Date.now() - started < 15_000, 'the call gave up long before the method would have returned');
    // The server's own deadline timer (TimeoutError) races the CLI's exit, which closes the connection (RpcConnectionError);
    // the caller sends no CANCEL on a timeout, so never CancelledError.
    await waitFor(() => a.lastAbort() !== undefined, 5000, 'the serving method to see the deadline');
    assert.ok(['TimeoutError', 'RpcConnectionError'].includes(a.lastAbort()!.name), `aborted by ${a.lastAbort()!.name}`);
  });

  test('bad options are refused with exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['call', name, 'whoAmI', '--timeout', '0', ...coordination()], /^herd: --timeout must be an integer from 1 to \d+, got '0'\n$/],
      [['call', name, 'whoAmI', '--tags', 'dc', ...coordination()], /^herd: --tags: 'dc' is not key=value\n$/],
      [['call', name, 'whoAmI'], /^herd: required option '--coordination <conn>' not specified\n/],
      [['ls', 'a/b', ...coordination()], /^herd: list: invalid service name "a\/b"/],
    ];
    const runs = await Promise.all(cases.map(([args]) => herdRpc(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = runs[i]!;
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });
}, { concurrency: 4 });
