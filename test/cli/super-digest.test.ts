/**
 * `herd server --super-digest` and zoo.cfg's
 * DigestAuthenticationProvider.superDigest: the way an operator gets back
 * into a tree whose ACLs lock everyone out. The super user reads and
 * re-opens a node nobody else may touch; without it, or with a wrong
 * password, the node stays closed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from '../../src/client/index.js';
import { NoAuthError } from '../../src/errors.js';
import { freePort } from '../support/ports.js';
import { herd, startHerdServer } from './herd.js';

/** ZooKeeper's digest of `user:password`: `user:base64(sha1(user:password))`. */
function digest(userPassword: string): string {
  return `${userPassword.slice(0, userPassword.indexOf(':'))}:${createHash('sha1').update(userPassword).digest('base64')}`;
}

const SUPER = digest('admin:opensesame');
const ALL = 31;

async function session(port: number, credentials?: string): Promise<Client> {
  const client = createClient(`127.0.0.1:${port}`, credentials === undefined ? {} : { auth: [{ scheme: 'digest', credentials }] });
  await client.connect();
  return client;
}

/** Locks /vault to a user nobody is, then checks who can get back in. */
async function checkRecovery(port: number): Promise<void> {
  const owner = await session(port);
  await owner.create('/vault', 'treasure', { acl: [{ perms: ALL, id: { scheme: 'digest', id: digest('ghost:forgotten') } }] });
  await owner.close();

  for (const credentials of [undefined, 'admin:wrong', 'other:opensesame']) {
    const outsider = await session(port, credentials);
    await assert.rejects(outsider.getData('/vault'), NoAuthError, `${credentials ?? 'no auth'} is locked out`);
    await assert.rejects(outsider.setACL('/vault', [{ perms: ALL, id: { scheme: 'world', id: 'anyone' } }]), NoAuthError);
    await outsider.close();
  }

  const admin = await session(port, 'admin:opensesame');
  assert.equal((await admin.getData('/vault')).data?.toString(), 'treasure');
  await admin.setACL('/vault', [{ perms: ALL, id: { scheme: 'world', id: 'anyone' } }]);
  await admin.close();
  const anyone = await session(port);
  assert.equal((await anyone.getData('/vault')).data?.toString(), 'treasure', 'the super user re-opened it');
  await anyone.close();
}

describe('super digest', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-cli-super-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--super-digest user:hash: the super user reads and re-opens a node whose ACL locks everyone else out', async () => {
    const server = await startHerdServer(['--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, 'flag'), '--log-level', 'warn', '--super-digest', SUPER]);
    try {
      assert.match(server.banner, /\n {2}superuser +digest user admin\n/);
      await checkRecovery(server.port);
    } finally {
      await server.stop();
    }
  });

  it('DigestAuthenticationProvider.superDigest in zoo.cfg does the same; the flag overrides it', async () => {
    const port = await freePort();
    const file = join(dir, 'zoo.cfg');
    await writeFile(file, `clientPort=${port}\nclientPortAddress=127.0.0.1\ndataDir=${join(dir, 'cfg')}\nDigestAuthenticationProvider.superDigest=${SUPER}\n`);
    const fromFile = await startHerdServer(['--config', file, '--log-level', 'warn']);
    try {
      await checkRecovery(port);
    } finally {
      await fromFile.stop();
    }
    // Over the file's digest, the flag's: now only root:other is super.
    const overridden = await startHerdServer(['--config', file, '--data-dir', join(dir, 'cfg2'), '--log-level', 'warn', '--super-digest', digest('root:other')]);
    try {
      assert.match(overridden.banner, /\n {2}superuser +digest user root\n/);
      const owner = await session(port);
      await owner.create('/vault', 'x', { acl: [{ perms: ALL, id: { scheme: 'digest', id: digest('ghost:forgotten') } }] });
      await owner.close();
      const admin = await session(port, 'admin:opensesame');
      await assert.rejects(admin.getData('/vault'), NoAuthError);
      await admin.close();
      const root = await session(port, 'root:other');
      assert.equal((await root.getData('/vault')).data?.toString(), 'x');
      await root.close();
    } finally {
      await overridden.stop();
    }
  });

  it('a malformed --super-digest is refused before the server starts', () => {
    for (const [value, message] of [
      ['admin:opensesame', /^herd: --super-digest must end in the base64 of a 20-byte SHA-1 \(28 characters\), got 'opensesame'\n$/],
      ['nocolon', /^herd: --super-digest must be user:base64-sha1/],
    ] as const) {
      const r = herd('server', '--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, 'never'), '--super-digest', value);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
