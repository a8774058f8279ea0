/**
 * A client for the stream transports: turns `invoke` into a request message and resolves it when
 * the matching response arrives; dispatches event messages to subscribers.
 */
import type { Api, ApiEvents, EventName } from './api';
import type { Result } from './result';
import type { WireMessage } from './wire';

export interface MessagePort {
  send(msg: WireMessage): void;
  onMessage(listener: (msg: WireMessage) => void): void;
  /** Called when the connection is gone: pending requests fail instead of hanging. */
  onClose?(listener: (reason: string) => void): void;
}

export function createStreamClient(port: MessagePort): Api {
  let nextId = 1;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  port.onMessage((msg) => {
    if (msg.t === 'res') {
      const resolve = pending.get(msg.id);
      if (resolve) {
        pending.delete(msg.id);
        resolve(msg.result as Result<unknown>);
      }
    } else if (msg.t === 'evt') {
      for (const l of listeners.get(msg.name) ?? []) l(msg.payload);
    }
  });
  port.onClose?.((reason) => {
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'UNAVAILABLE', message: `Connection closed: ${reason}` } });
    pending.clear();
  });
  return {
    invoke(name, args) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        port.send({ t: 'req', id, name, args });
      });
    },
    on<E extends EventName>(name: E, listener: (payload: ApiEvents[E]) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set!.delete(listener as (p: unknown) => void);
    },
  };
}
