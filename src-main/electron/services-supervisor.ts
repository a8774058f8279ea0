/**
 * Main's side of the services host: forks it, relays requests and events, answers its dialog
 * requests, follows the open project, and when the host dies unexpectedly answers every request in
 * flight, reports the crash, starts a new host and reopens the project (the job manager then shows
 * the jobs that were running as interrupted, ready to resume).
 *
 * Electron-free on purpose: `fork` is `utilityProcess.fork` in the app and a child_process stand-in
 * in the smoke test, so the same relay runs in both.
 */
import { fail, type Result } from '../../src-shared/result';
import { isFromHost, type FromHost, type ToHost } from './services-messages';

/** The part of Electron's UtilityProcess the supervisor uses. */
export interface HostProcess {
  readonly pid?: number | undefined;
  postMessage(message: ToHost): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface CrashReport {
  /** Exit code of the host that died. */
  code: number;
  /** Request names that were in flight and were answered with UNAVAILABLE. */
  interrupted: string[];
  /** The project reopened in the new host, if any. */
  reopened?: string;
  /** True when the host crashed too often and was not restarted. */
  gaveUp: boolean;
}

export interface SupervisorOptions {
  fork: () => HostProcess;
  onEvent: (name: string, payload: unknown) => void;
  onProject: (dir: string | null) => void;
  chooseDir: (kind: 'new' | 'open') => Promise<string | undefined>;
  onCrash: (report: CrashReport) => void;
  log?: (message: string) => void;
  /** At most this many restarts within `restartWindowMs` (a host that crashes on start must not loop). */
  maxRestarts?: number;
  restartWindowMs?: number;
  now?: () => number;
}

interface Pending {
  name: string;
  resolve: (r: Result<unknown>) => void;
}

export class ServicesSupervisor {
  private child: HostProcess | null = null;
  private ready = false;
  private queue: ToHost[] = [];
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private dir: string | null = null;
  private stopping = false;
  private crashes: number[] = [];
  /** When the current host was asked to reopen a project, and which. */
  private reopenedAt: { dir: string; at: number } | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SupervisorOptions) {}

  /** Starts the host; `reopen` is the project to open first (the last one the user had). */
  start(reopen?: string): void {
    this.stopping = false;
    this.spawn(reopen);
  }

  /** The folder of the project open in the host (ksl://project/ serves from here only). */
  projectDir(): string | null {
    return this.dir;
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  invoke(name: string, args: unknown): Promise<Result<unknown>> {
    if (!this.child) return Promise.resolve(fail('UNAVAILABLE', 'The services process is not running; restart KSL Studio.'));
    return new Promise((resolve) => {
      const id = ++this.seq;
      this.pending.set(id, { name, resolve });
      this.send({ t: 'invoke', id, name, args });
    });
  }

  /** Opens a project folder in the host without a dialog. */
  open(dir: string): Promise<Result<unknown>> {
    if (!this.child) return Promise.resolve(fail('UNAVAILABLE', 'The services process is not running.'));
    return new Promise((resolve) => {
      const id = ++this.seq;
      this.pending.set(id, { name: 'open', resolve });
      this.send({ t: 'open', id, dir });
    });
  }

  /** Asks the host to close the project and exit; kills it after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    this.send({ t: 'shutdown' });
    const timer = setTimeout(() => child.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private send(m: ToHost): void {
    if (this.ready && this.child) this.child.postMessage(m);
    else this.queue.push(m);
  }

  private spawn(reopen?: string): void {
    const child = this.opts.fork();
    this.child = child;
    this.ready = false;
    this.reopenedAt = null;
    let resolveExit!: () => void;
    this.exited = new Promise((r) => (resolveExit = r));
    child.on('message', (m) => {
      if (this.child !== child) return;
      if (!isFromHost(m)) {
        this.opts.log?.('services host sent a malformed message; ignored');
        return;
      }
      this.onMessage(m);
    });
    child.on('exit', (code) => {
      resolveExit();
      if (this.child === child) this.onExit(code);
    });
    if (reopen) {
      this.reopenedAt = { dir: reopen, at: this.now() };
      void this.open(reopen).then((r) => {
        if (!r.ok) this.opts.log?.(`could not reopen ${reopen}: ${r.error.message}`);
      });
    }
  }

  private onMessage(m: FromHost): void {
    switch (m.t) {
      case 'ready': {
        this.ready = true;
        const q = this.queue;
        this.queue = [];
        for (const x of q) this.child!.postMessage(x);
        return;
      }
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.result);
        return;
      }
      case 'event':
        this.opts.onEvent(m.name, m.payload);
        return;
      case 'project':
        this.dir = m.dir;
        this.opts.onProject(m.dir);
        return;
      case 'dialog': {
        const child = this.child;
        this.opts
          .chooseDir(m.kind)
          .catch(() => undefined)
          .then((dir) => {
            // A host that died meanwhile does not get the answer (its successor never asked).
            if (this.child === child) this.send({ t: 'dialog-result', id: m.id, dir });
          });
        return;
      }
    }
  }

  private onExit(code: number): void {
    this.child = null;
    this.ready = false;
    this.queue = [];
    const interrupted: string[] = [];
    for (const [id, p] of this.pending) {
      interrupted.push(p.name);
      p.resolve(
        fail('UNAVAILABLE', `The services process stopped (exit code ${code}) while answering ${p.name}; it is being restarted — try again in a moment.`),
      );
      this.pending.delete(id);
    }
    if (this.stopping) return;

    const now = this.now();
    const windowMs = this.opts.restartWindowMs ?? 60_000;
    this.crashes = [...this.crashes.filter((t) => now - t < windowMs), now];
    const gaveUp = this.crashes.length > (this.opts.maxRestarts ?? 3);
    // Reopen the project that was open, unless reopening it is what keeps killing the host.
    let reopen: string | undefined = this.dir ?? undefined;
    if (this.reopenedAt && now - this.reopenedAt.at < 10_000 && this.crashes.length > 1) reopen = undefined;
    this.dir = null;
    this.opts.onProject(null);
    if (gaveUp) {
      this.opts.onCrash({ code, interrupted, gaveUp: true });
      return;
    }
    this.spawn(reopen);
    this.opts.onCrash({ code, interrupted, reopened: reopen, gaveUp: false });
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}
