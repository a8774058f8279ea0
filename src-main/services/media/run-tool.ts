/** Spawns a tool with an AbortSignal; collects stdout/stderr; never goes through a shell. */
import { spawn } from 'node:child_process';

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runTool(
  file: string,
  args: string[],
  opts: { signal?: AbortSignal; onStdout?: (s: string) => void; onStderr?: (s: string) => void; maxBuffer?: number } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const max = opts.maxBuffer ?? 16 * 1024 * 1024;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      if (opts.onStdout) opts.onStdout(s);
      else if (stdout.length < max) stdout += s;
    });
    child.stderr.on('data', (s: string) => {
      opts.onStderr?.(s);
      // keep the tail: ffmpeg's reason for failing is at the end
      stderr = (stderr + s).slice(-max);
    });
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
