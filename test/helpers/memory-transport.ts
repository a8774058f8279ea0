/**
 * The whole contract over an in-memory transport: the same host (validation, handlers, Result
 * wrapping) and the same stream client as the WebSocket door, with messages serialised on the way
 * as they would be on the wire — JSON text, or, for a request with a byte argument (a camera frame),
 * the binary layout of src-shared/wire.ts, decoded by the same function the server uses.
 */
import type { Api, ApiEvents, EventName } from '../../src-shared/api';
import { createApiHost } from '../../src-shared/api-host';
import { createStreamClient } from '../../src-shared/api-client';
import { decodeBinaryRequest, encodeBinaryRequest, WireRequest, type WireMessage } from '../../src-shared/wire';
import { createAppServices, type AppServices, type DoorOptions } from '../../src-main/services/app-services';

export interface MemoryWireStats {
  text: number;
  binary: number;
  /** Bytes of every request sent, as they would be on the wire. */
  bytes: number;
}

export function memoryApi(door: DoorOptions): { api: Api; services: AppServices; wire: MemoryWireStats; sendRaw(msg: unknown): Promise<unknown> } {
  const toClient: ((m: WireMessage) => void)[] = [];
  const wire: MemoryWireStats = { text: 0, binary: 0, bytes: 0 };
  const deliver = (m: WireMessage) => {
    const copy = JSON.parse(JSON.stringify(m)) as WireMessage;
    queueMicrotask(() => toClient.forEach((l) => l(copy)));
  };
  const services = createAppServices(<E extends EventName>(name: E, payload: ApiEvents[E]) => deliver({ t: 'evt', name, payload }), door);
  const host = createApiHost(services.handlers);
  const serverReceive = async (raw: string | Uint8Array) => {
    let msg: unknown;
    if (typeof raw === 'string') msg = JSON.parse(raw);
    else {
      const decoded = decodeBinaryRequest(raw);
      if (!decoded.ok) {
        deliver({ t: 'res', id: decoded.id, result: { ok: false, error: { code: 'INVALID', message: decoded.message } } });
        return;
      }
      msg = decoded.msg;
    }
    const parsed = WireRequest.safeParse(msg);
    if (!parsed.success) return;
    deliver({ t: 'res', id: parsed.data.id, result: await host.handle(parsed.data.name, parsed.data.args) });
  };
  const api = createStreamClient({
    send: (msg) => {
      // a fresh copy, as a socket would hand the server: the sender may reuse its buffer at once
      const bin = msg.t === 'req' ? encodeBinaryRequest(msg) : null;
      const raw = bin ?? JSON.stringify(msg);
      if (bin) wire.binary++;
      else wire.text++;
      wire.bytes += typeof raw === 'string' ? raw.length : raw.byteLength;
      void serverReceive(raw);
    },
    onMessage: (l) => toClient.push(l),
  });
  return { api, services, wire, sendRaw: (msg: unknown) => host.handle((msg as { name: unknown }).name, (msg as { args: unknown }).args) };
}
