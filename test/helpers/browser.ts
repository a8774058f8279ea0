import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
import { repoRoot } from './fixtures';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with the flags this offline machine needs. */
export function launchChromium(extraArgs: string[] = [], opts: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...extraArgs,
    ],
    ...opts,
  });
}

export interface Served {
  url: string;
  port: number;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the real `ksl serve` (the built CLI) on a free port and waits until it listens (`env` adds variables). */
export function serve(dir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'ksl.cjs'), 'serve', dir, '--port', '0', '--json', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        const info = JSON.parse(line) as { url: string; port: number };
        resolve({
          url: info.url,
          port: info.port,
          child,
          stop: (signal = 'SIGTERM') =>
            new Promise((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('close', () => r());
              child.kill(signal);
            }),
        });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('close', (code) => reject(new Error(`ksl serve exited (${code}): ${err}`)));
  });
}

/** Where browser tests put their screenshots (README pictures come from here). */
export function screenshotPath(name: string): string {
  const dir = path.join(repoRoot, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
