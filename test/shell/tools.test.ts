/**
 * `herd shell`'s tools beyond zkCli (tree, find, grep, du, cp, mirror, diff,
 * json-get/json-set) on both targets, run as a user would:
 * `herd shell <conn> --command ... --command ...`.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { connect, forEachTarget, uniquePath } from '../support/targets.js';
import { runShell } from './run-shell.js';

forEachTarget('herd shell: tools', (target) => {
  let root = '';
  before(async () => {
    const client = await connect(target());
    root = uniquePath('shell-tools');
    await client.create(root, null);
    await client.create(`${root}/a`, 'alpha');
    await client.create(`${root}/a/x`, 'needle in a haystack');
    await client.create(`${root}/b`, '{"n": 1, "tags": ["t"]}');
  });

  const cmd = (...lines: string[]) => runShell(target().connectionString, lines.flatMap((l) => ['--command', l]));

  it('tree, find, grep and du describe a subtree; json-get and json-set change one value of JSON data', { timeout: 90_000 }, async () => {
    const r = await cmd(
      `tree ${root}`,
      `find ${root} x$`,
      `grep -i ${root} NEEDLE`,
      `du ${root}`,
      `json-get ${root}/b tags.0`,
      `json-set ${root}/b n 2`,
      `json-get ${root}/b`,
      `json-get ${root}/a`,
    );
    assert.equal(
      r.stdout,
      `${root}\n├── a\n│   └── x\n└── b\n` +
        `${root}/a/x\n` +
        `${root}/a/x: needle in a haystack\n` +
        `${5 + 20 + 23}\t${root}\t(4 nodes)\n` +
        '"t"\n' +
        '{\n  "n": 2,\n  "tags": [\n    "t"\n  ]\n}\n',
    );
    assert.match(r.stderr, /^.*\/a: the data is not JSON .*\n$/);
    assert.equal(r.code, 1);
  });

  it('cp copies a subtree (to another server too), diff compares two and mirror makes one equal to the other', { timeout: 90_000 }, async () => {
    const copy = `${root}-copy`;
    const other = `${root}-other`;
    // --to: the server's direct address (not the proxy) stands for a second server.
    const first = await cmd(`cp -r ${root} ${copy}`, `diff ${root} ${copy}`, `cp -r --to ${target().directConnectionString} ${root}/a ${other}`);
    assert.deepEqual(first, { stdout: 'copied 4 nodes\ncopied 2 nodes\n', stderr: '', code: 0 });
    const client = await connect(target());
    assert.equal((await client.getData(`${other}/x`)).data?.toString(), 'needle in a haystack');
    await client.setData(`${copy}/a`, 'changed');
    await client.create(`${copy}/extra`);
    await client.delete(`${copy}/a/x`);
    const again = await cmd(`diff ${root} ${copy}`, `cp -r ${root} ${copy}`);
    assert.equal(again.stdout, '~ a\n- a/x\n+ extra\n');
    assert.equal(again.stderr, `Node already exists: ${copy}\n`);

    // mirror makes the destination equal to the source: a diff then finds nothing, on this server and on another.
    const direct = target().directConnectionString;
    const mirrored = await cmd(`mirror ${root} ${copy}`, `diff ${root} ${copy}`, `mirror --to ${direct} ${root} ${other}`, `diff --to ${direct} ${root} ${other}`);
    assert.deepEqual(mirrored, {
      stdout: `mirrored ${root} to ${copy}: 1 created, 1 updated, 1 deleted\nmirrored ${root} to ${other}: 3 created, 1 updated, 1 deleted\n`,
      stderr: '',
      code: 0,
    });
    assert.equal(await client.exists(`${copy}/extra`), null);
    assert.equal((await client.getData(`${copy}/a`)).data?.toString(), 'alpha');
  });
});
