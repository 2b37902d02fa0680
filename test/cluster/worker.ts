/**
 * A cluster member as a child process, for the crash tests and the bench:
 * joins with the options in argv[2] (JSON) and prints one JSON line per
 * event on stdout: {"event":"joined"|"primary"|"secondary"|"members"|"exit"|"degraded"|"recovered", ...}.
 * Closes (leaves) on SIGTERM or when stdin closes.
 */
import { joinCluster, type JoinClusterOptions } from '../../src/cluster/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as JoinClusterOptions;
const print = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, identifier: options.identifier, at: Date.now(), ...fields })}\n`);
};

const node = await joinCluster({
  ...options,
  onPrimary: ({ epoch }) => print('primary', { epoch }),
  onSecondary: ({ epoch, reason }) => print('secondary', { epoch, reason }),
  onExit: ({ by }) => print('exit', { by: by.identifier }),
});
node.on('members', ({ members, joined, left }) =>
  print('members', { members: members.map((m) => m.identifier), joined: joined.map((m) => m.identifier), left: left.map((m) => m.identifier) }),
);
node.on('degraded', (error) => print('degraded', { message: error.message }));
node.on('recovered', () => print('recovered'));
print('joined', { members: node.members().map((m) => m.identifier) });

const leave = (): void => {
  node.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', leave);
process.stdin.on('end', leave);
process.stdin.resume();
