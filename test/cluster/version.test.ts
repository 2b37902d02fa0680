import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, isValidVersion, parseVersion } from '../../src/cluster/version.js';
import { InvalidVersionError } from '../../src/cluster/errors.js';

describe('cluster version', () => {
  it('parses core, prerelease and build', () => {
    assert.deepEqual(parseVersion('1.4.0'), { major: 1, minor: 4, patch: 0, prerelease: [], build: [] });
    assert.deepEqual(parseVersion('1.0.0-rc.1+sha.5114f85'), { major: 1, minor: 0, patch: 0, prerelease: ['rc', '1'], build: ['sha', '5114f85'] });
    assert.deepEqual(parseVersion('0.0.1-0A.is.legal').prerelease, ['0A', 'is', 'legal']);
  });

  it('refuses what semver 2.0 refuses', () => {
    for (const bad of ['', '1', '1.2', '1.2.3.4', '01.2.3', '1.02.3', '1.2.03', '1.2.3-01', '1.2.3-', '1.2.3+', 'v1.2.3', '1.2.3-a..b', ' 1.2.3', '1.2.3-é']) {
      assert.throws(() => parseVersion(bad), InvalidVersionError, bad);
      assert.equal(isValidVersion(bad), false, bad);
    }
    assert.throws(() => parseVersion('99999999999999999999.0.0'), InvalidVersionError);
  });

  it('orders by precedence as the specification example', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0', '10.0.0'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        assert.equal(compareVersions(ordered[i]!, ordered[j]!), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
      }
    }
  });

  it('ignores build metadata and compares numbers numerically', () => {
    assert.equal(compareVersions('1.0.0+a', '1.0.0+b'), 0);
    assert.equal(compareVersions('1.0.0-rc.1+x', '1.0.0-rc.1'), 0);
    assert.ok(compareVersions('1.10.0', '1.9.0') > 0);
    assert.ok(compareVersions('1.0.0-2', '1.0.0-10') < 0);
    assert.ok(compareVersions('1.0.0-10', '1.0.0-a') < 0, 'numeric identifiers rank below alphanumeric ones');
    assert.ok(compareVersions('1.0.0-a', '1.0.0-B') > 0, 'alphanumeric identifiers compare in ASCII order');
  });
});
