/** `rpc ls [name]`: the services of herd-zk/rpc's registry, with their live instances, tags and methods (`herd rpc ls`). */
import type { ShellCommand } from '../../command.js';
import { columns, subcommand } from './columns.js';

const USAGE = 'rpc ls [name]';

export const rpc: ShellCommand = {
  name: 'rpc',
  usage: USAGE,
  summary: 'the rpc services (under the session chroot), their live instances, tags and methods',
  minArgs: 1,
  async run(shell, { args, json }) {
    const [, rest] = subcommand(args, { ls: 0 }, USAGE);
    const { list } = await import('../../../rpc/registry.js');
    const services = await list(shell.client, rest[0]);
    const text =
      services.length === 0
        ? 'no services\n'
        : services
            .map((s) => {
              const n = s.instances.length;
              const head = `${s.name}: ${n === 0 ? 'no live instance' : `${n} instance${n === 1 ? '' : 's'}`}\n`;
              if (n === 0) return head;
              const tags = (t: Readonly<Record<string, string>>): string => Object.entries(t).map(([k, v]) => `${k}=${v}`).join(',') || '-';
              return (
                head +
                columns([
                  ['ADDRESS', 'IDENTIFIER', 'PID', 'PROTOCOL', 'TAGS', 'METHODS'],
                  ...s.instances.map((i) => [i.address, i.identifier || '-', String(i.pid), `${i.protocol}/${i.version}`, tags(i.tags), i.methods.join(',') || '-']),
                ])
              );
            })
            .join('\n');
    shell.result(text, services, json);
  },
};
