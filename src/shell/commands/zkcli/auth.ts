/** zkCli's `addauth scheme auth` and `whoami`. */
import type { ShellCommand } from '../../command.js';

export const addauth: ShellCommand = {
  name: 'addauth',
  usage: 'addauth scheme auth',
  summary: 'add credentials to the session, e.g. addauth digest user:password',
  minArgs: 1,
  async run(shell, { args, json }) {
    const [scheme, auth] = args as [string, string | undefined];
    await shell.client.addAuth(scheme, auth ?? '');
    shell.result('', { scheme }, json);
  },
};

export const whoami: ShellCommand = {
  name: 'whoami',
  usage: 'whoami ',
  summary: 'print the identities the session is authenticated as',
  async run(shell, { json }) {
    const infos = await shell.client.whoAmI();
    shell.result(
      `Auth scheme: User\n${infos.map((i) => `${i.authScheme}: ${i.user}\n`).join('')}`,
      { identities: infos.map((i) => ({ scheme: i.authScheme, user: i.user })) },
      json,
    );
  },
};
