/** `log ls` and `log status name`: Herd logs, their segments and where the copies are (`herd log ls|status`); writes nothing. */
import type { ShellCommand } from '../../command.js';
import { columns, iso, plural, subcommand } from './columns.js';
import { listLogs, listStorageNodes, readLogStatus } from './log-status.js';

const USAGE = 'log ls | log nodes | log status name';

export const log: ShellCommand = {
  name: 'log',
  usage: USAGE,
  summary: "the logs and live storage nodes; every storage node, up or down; one log's segments, their copies and the under-replicated count",
  minArgs: 1,
  async run(shell, { args, json }) {
    const [sub, rest] = subcommand(args, { ls: 0, nodes: 0, status: 1 }, USAGE);
    if (sub === 'nodes') {
      const nodes = await listStorageNodes(shell.client);
      const up = nodes.filter((n) => n.state === 'up').length;
      const rows = [
        ['NODE', 'ADDRESS', 'STATE', 'REGISTERED', 'VERSION', 'STARTED'],
        ...nodes.map((n) => [n.instanceId, n.address, n.state, n.registered ? 'yes' : 'no', n.version === null ? '-' : String(n.version), iso(n.startedAt)]),
      ];
      shell.result(`${plural(nodes.length, 'storage node')}, ${up} up\n${columns(rows)}`, { nodes }, json);
      return;
    }
    if (sub === 'ls') {
      const view = await listLogs(shell.client);
      const logs = columns([
        ['LOG', 'E/W/A', 'SEGMENTS', 'LAST SEGMENT', 'FIRST', 'LAST'],
        ...view.logs.map((l) => [l.name, `${l.ensembleSize}/${l.writeQuorum}/${l.ackQuorum}`, String(l.segments), l.lastSegmentState ?? '-', iso(l.firstTimestamp), iso(l.lastTimestamp)]),
      ]);
      const nodes = columns([['NODE', 'ADDRESS', 'STARTED'], ...view.nodes.map((n) => [n.instanceId, `${n.host}:${n.port}`, iso(n.startedAt)])]);
      shell.result(`${plural(view.logs.length, 'log')}\n${logs}\n${plural(view.nodes.length, 'live storage node')}\n${nodes}`, view, json);
      return;
    }
    const status = await readLogStatus(shell.client, rest[0]!);
    const rows = [['SEGMENT', 'STATE', 'WRITER', 'ENTRIES', 'UNDER-REPL', 'FROM', 'TO', 'ENSEMBLES (firstEntry: nodes, * = not live)']];
    for (const s of status.segments) {
      const ensembles = s.ensembles.map((e) => `${e.firstEntry}: ${e.nodes.map((n) => (n.live ? n.id : `${n.id}*`)).join(',')}`).join('; ');
      rows.push([String(s.id), s.state, s.writer, s.state === 'CLOSED' ? String(s.entries) : `${s.entries} so far`, String(s.underReplicatedEntries), iso(s.minTimestamp), iso(s.maxTimestamp), ensembles]);
    }
    shell.result(`log ${status.name}: ${plural(status.segments.length, 'segment')}, ${status.underReplicated} under-replicated\n${columns(rows)}`, status, json);
  },
};
