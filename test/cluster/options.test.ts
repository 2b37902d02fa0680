/**
 * joinCluster's options are checked before any I/O: a bad option is a
 * BadArgumentsError (or InvalidVersionError, one of them), and the backend
 * given is never contacted (port 1 has no server: contacting it would fail
 * otherwise, or hang for the connect timeout).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadArgumentsError, ClusterNode, HerdError, InvalidVersionError, joinCluster, type JoinClusterOptions } from '../../src/cluster/index.js';

const nowhere = { coordination: '127.0.0.1:1' };

async function refused(options: JoinClusterOptions, pattern: RegExp): Promise<BadArgumentsError> {
  const started = Date.now();
  const error = await joinCluster(options).then(
    () => assert.fail('joined'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof BadArgumentsError && error instanceof HerdError, String(error));
  assert.equal(error.code, 'BADARGUMENTS');
  assert.match(error.message, pattern);
  assert.ok(Date.now() - started < 1000, 'refused without trying to connect');
  return error;
}

describe('joinCluster options', () => {
  it('refuses bad names, versions, policies and backends with BadArgumentsError before any I/O', async () => {
    await refused({ cluster: 'a/b', backend: nowhere }, /cluster name "a\/b"/);
    await refused({ cluster: 'ok', identifier: '..', backend: nowhere }, /identifier "\.\."/);
    await refused({ cluster: 'ok', identifier: 'has space', backend: nowhere }, /identifier "has space"/);
    const version = await refused({ cluster: 'ok', version: 'v1.2.3', backend: nowhere }, /not a semantic version/);
    assert.ok(version instanceof InvalidVersionError);
    assert.equal(version.name, 'InvalidVersionError');
    await refused({ cluster: 'ok', versionPolicy: 'sometimes' as never, backend: nowhere }, /versionPolicy/);
    await refused({ cluster: 'ok', leaveTimeout: -1, backend: nowhere }, /leaveTimeout/);
    await refused({ cluster: 'ok', backend: { coordination: ' ' } }, /empty coordination/);
    await refused({ cluster: 'ok', backend: { coordination: '127.0.0.1:1', sessionTimeout: 0 } }, /sessionTimeout must be a number of ms, more than 0/);
    await refused({ cluster: 'ok', backend: { coordination: '127.0.0.1:1', suspendedTimeout: Infinity } }, /suspendedTimeout/);
    await refused({ cluster: 'ok', backend: {} as never }, /`coordination`, `sharedFs` or `custom`/);
    await refused({ cluster: 'ok', backend: { sharedFs: '/nonexistent', leaseDuration: 600, leaseMargin: 500 } }, /leaseMargin/);
    await refused({ cluster: 'ok', heartbeatInterval: 0, backend: { sharedFs: '/nonexistent' } }, /heartbeatInterval/);
  });

  it('close of a node that never joined: a bad timeout is refused, then it closes at once', async () => {
    const node = new ClusterNode({ cluster: 'ok', identifier: 'n', backend: nowhere });
    await assert.rejects(node.close({ timeout: Number.NaN }), BadArgumentsError);
    await node.close({ timeout: 0 });
    assert.ok(node.hasLeft);
    await node.close();
  });
});
