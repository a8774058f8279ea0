/**
 * CLI output rules: with --json exactly one JSON document goes to stdout; progress and notes go
 * to stderr; a failure exits non-zero with a one-line reason.
 */
import type { JobEvent } from '../../src-shared/jobs';
import { formatEta } from '../../src-shared/progress';
import { KslError, toApiError } from '../../src-shared/result';

export interface GlobalOpts {
  json?: boolean;
  quiet?: boolean;
}

export function printResult(opts: GlobalOpts, value: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else process.stdout.write(human() + '\n');
}

export function note(opts: GlobalOpts, line: string): void {
  if (!opts.quiet) process.stderr.write(line + '\n');
}

/** A progress line on stderr: rewritten in place on a terminal, one line per few seconds otherwise. */
export function progressPrinter(opts: GlobalOpts, label: string): (e: JobEvent) => void {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  return (e) => {
    if (opts.quiet) return;
    if (e.type === 'end') {
      if (tty) process.stderr.write('\n');
      return;
    }
    const pct = e.total > 0 ? ` ${((100 * e.done) / e.total).toFixed(1)}%` : '';
    const rate = e.rate > 0 ? `  ${e.rate.toFixed(1)}/s` : '';
    const line = `${label} ${e.done}/${e.total || '?'}${pct}${rate}  ETA ${formatEta(e.etaSeconds)}  ${e.message}`;
    if (tty) process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else if (Date.now() - lastLine > 2000 || (e.total > 0 && e.done >= e.total)) {
      lastLine = Date.now();
      process.stderr.write(line + '\n');
    }
  };
}

export function failAndExit(opts: GlobalOpts, e: unknown): never {
  const err = e instanceof KslError ? toApiError(e) : toApiError(e);
  if (opts.json) process.stdout.write(JSON.stringify({ ok: false, error: err }) + '\n');
  const oneLine = err.message.replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`ksl: ${oneLine}\n`);
  if (err.code === 'INTERNAL' && process.env.KSL_DEBUG) process.stderr.write(String((e as Error)?.stack) + '\n');
  process.exit(err.code === 'CANCELLED' ? 130 : err.code === 'INVALID' ? 2 : 1);
}
