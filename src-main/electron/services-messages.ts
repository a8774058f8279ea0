/**
 * The messages between the Electron main process and the services host (a utilityProcess running
 * services-host.ts). Main relays the contract's requests and events; only main can show native
 * dialogs, so the host asks it for a folder; only main serves ksl://, so the host tells it which
 * project is open. Plain data: everything crosses as a structured clone.
 */
import type { Result } from '../../src-shared/result';

export type ToHost =
  | { t: 'invoke'; id: number; name: string; args: unknown }
  /** Open a project folder without a dialog (reopening the last project after a start or a crash). */
  | { t: 'open'; id: number; dir: string }
  | { t: 'dialog-result'; id: number; dir?: string }
  /** Close the project (jobs stop and are recorded), then exit 0. */
  | { t: 'shutdown' };

export type FromHost =
  | { t: 'ready'; pid: number }
  | { t: 'result'; id: number; result: Result<unknown> }
  | { t: 'event'; name: string; payload: unknown }
  /** The open project changed (null: none). Main serves ksl://project/ from this folder only. */
  | { t: 'project'; dir: string | null }
  | { t: 'dialog'; id: number; kind: 'new' | 'open' };

const isObj = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

/** The host's messages are trusted code, but a malformed one must not crash main: check the shape. */
export function isFromHost(m: unknown): m is FromHost {
  if (!isObj(m)) return false;
  switch (m.t) {
    case 'ready':
      return typeof m.pid === 'number';
    case 'result':
      return typeof m.id === 'number' && isObj(m.result) && typeof m.result.ok === 'boolean';
    case 'event':
      return typeof m.name === 'string';
    case 'project':
      return m.dir === null || typeof m.dir === 'string';
    case 'dialog':
      return typeof m.id === 'number' && (m.kind === 'new' || m.kind === 'open');
    default:
      return false;
  }
}

export function isToHost(m: unknown): m is ToHost {
  if (!isObj(m)) return false;
  switch (m.t) {
    case 'invoke':
      return typeof m.id === 'number' && typeof m.name === 'string';
    case 'open':
      return typeof m.id === 'number' && typeof m.dir === 'string';
    case 'dialog-result':
      return typeof m.id === 'number' && (m.dir === undefined || typeof m.dir === 'string');
    case 'shutdown':
      return true;
    default:
      return false;
  }
}
