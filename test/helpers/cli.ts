import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './fixtures';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json(): any;
}

/** Runs the built `ksl` exactly as a user would (bin/ksl.cjs → dist/main/cli.cjs). */
export function ksl(args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ksl.cjs'), ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
    env: { ...process.env, ...opts.env },
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json() {
      return JSON.parse(r.stdout);
    },
  };
}
