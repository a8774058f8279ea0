import type { Command } from 'commander';
import { startServer } from '../../server/web-server';
import { KslError } from '../../../src-shared/result';
import { withErrors } from '../with-errors';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the KSL Studio UI in a browser (bound to 127.0.0.1; another --host requires the printed access token)')
    .argument('<project>', 'project folder (an empty folder offers to create a project there)')
    .option('--port <N>', 'port (0 picks a free one)', (v) => Number(v), 4317)
    .option('--host <H>', 'address to bind', '127.0.0.1')
    .option('--json', 'print {url, host, port, token} once listening')
    .action(withErrors(async (dir: string, opts) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new KslError('INVALID', `--port must be 0–65535 (got ${opts.port}).`);
      const s = await startServer({ dir, host: opts.host, port: opts.port, log: (l) => process.stderr.write(l + '\n') });
      if (opts.json) process.stdout.write(JSON.stringify({ url: s.url, host: s.host, port: s.port, token: s.token }) + '\n');
      else {
        process.stdout.write(`KSL Studio is at ${s.url}\n`);
        if (s.token) process.stdout.write(`Bound to ${s.host}: the access token is part of that address; share it only with your annotators.\n`);
        process.stdout.write('Ctrl+C stops the server (running jobs are cancelled and can be resumed).\n');
      }
      const stop = async () => {
        await s.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }));
}
