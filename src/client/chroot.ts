/**
 * Maps client paths to server paths under a chroot (`/app`): prepended on
 * the way out, stripped on the way in (replies and watch events). With no
 * chroot both directions are the identity.
 */
export class Chroot {
  /** @param root the chroot without a trailing slash, or undefined for none */
  constructor(readonly root: string | undefined) {}

  /** The server path for a client path: `/` is the chroot itself. */
  toServer(path: string): string {
    const root = this.root;
    if (root === undefined) return path;
    return path === '/' ? root : root + path;
  }

  /**
   * The client path for a server path. A path outside the chroot (which a
   * correct server never sends) is returned unchanged.
   */
  toClient(path: string): string {
    const root = this.root;
    if (root === undefined) return path;
    if (path === root) return '/';
    if (path.length > root.length && path.startsWith(root) && path.charCodeAt(root.length) === 0x2f) {
      return path.slice(root.length);
    }
    return path;
  }
}
