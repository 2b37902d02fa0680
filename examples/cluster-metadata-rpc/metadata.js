// The cluster's metadata, served as one object that every node calls:
// the cluster's name, each node's role, and which nodes are disabled.
//
// Whoever serves it keeps it in memory and saves every change in the
// coordination store (one node, JSON), so that the standby taking over
// after a crash starts from the last saved state.

export const STATE = '/metadata-demo/state';

export class Metadata {
  #client;
  #state = { clusterName: 'demo', roles: {}, disabled: [], version: 0 };

  constructor(client) {
    this.#client = client;
  }

  /** Loads the saved state: called when this process starts serving. */
  async load() {
    if (await this.#client.exists(STATE)) {
      const { data } = await this.#client.getData(STATE);
      if (data && data.length > 0) this.#state = JSON.parse(data.toString());
    }
    return this.#state.version;
  }

  // ---- the methods other nodes call (listed in `expose`) ----

  clusterName() {
    return this.#state.clusterName;
  }

  /** Every node's role, and the version of the metadata. */
  nodes() {
    return { roles: { ...this.#state.roles }, version: this.#state.version };
  }

  amIDisabled(node) {
    return this.#state.disabled.includes(node);
  }

  async setRole(node, role) {
    this.#state.roles[node] = role;
    return this.#save();
  }

  async disable(node) {
    if (!this.#state.disabled.includes(node)) this.#state.disabled.push(node);
    return this.#save();
  }

  async #save() {
    this.#state.version++;
    const json = JSON.stringify(this.#state);
    if (await this.#client.exists(STATE)) await this.#client.setData(STATE, json);
    else await this.#client.mkdirp(STATE, json);
    return this.#state.version;
  }
}

/** What callers may call. Reads are safe to run twice: marked idempotent, they survive a takeover. */
export const EXPOSE = ['clusterName', 'nodes', 'amIDisabled', 'setRole', 'disable'];
export const IDEMPOTENT = ['clusterName', 'nodes', 'amIDisabled'];
