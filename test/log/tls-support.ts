/**
 * What the TLS tests of the log and of the tables share: throwaway
 * certificates for the file (test/support/tls-certs.ts), and the flag that
 * skips the tests that need the log's node pool to pass `tls` on.
 */
import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { makeCerts, type Certs } from '../support/tls-certs.js';
import { removeDirs } from './node/support.js';

/** Makes certificates before the file's tests and removes them (and the temp data directories) after; call at top level. */
export function useCerts(): () => Certs {
  let certs: Certs | undefined;
  before(async () => {
    certs = await makeCerts();
  });
  after(async () => {
    await removeDirs();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });
  return () => certs!;
}
