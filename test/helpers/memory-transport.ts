/**
 * The whole contract over an in-memory transport: the same host (validation, handlers, Result
 * wrapping) and the same stream client as the WebSocket door, with messages serialised to JSON
 * on the way, as they would be on the wire.
 */
import type { Api, ApiEvents, EventName } from '../../src-shared/api';
import { createApiHost } from '../../src-shared/api-host';
import { createStreamClient } from '../../src-shared/api-client';
import { WireRequest, type WireMessage } from '../../src-shared/wire';
import { createAppServices, type AppServices, type DoorOptions } from '../../src-main/services/app-services';

export function memoryApi(door: DoorOptions): { api: Api; services: AppServices; sendRaw(msg: unknown): Promise<unknown> } {
  const toClient: ((m: WireMessage) => void)[] = [];
  const deliver = (m: WireMessage) => {
    const copy = JSON.parse(JSON.stringify(m)) as WireMessage;
    queueMicrotask(() => toClient.forEach((l) => l(copy)));
  };
  const services = createAppServices(<E extends EventName>(name: E, payload: ApiEvents[E]) => deliver({ t: 'evt', name, payload }), door);
  const host = createApiHost(services.handlers);
  const serverReceive = async (raw: string) => {
    const parsed = WireRequest.safeParse(JSON.parse(raw));
    if (!parsed.success) return;
    deliver({ t: 'res', id: parsed.data.id, result: await host.handle(parsed.data.name, parsed.data.args) });
  };
  const api = createStreamClient({
    send: (msg) => void serverReceive(JSON.stringify(msg)),
    onMessage: (l) => toClient.push(l),
  });
  return { api, services, sendRaw: (msg: unknown) => host.handle((msg as { name: unknown }).name, (msg as { args: unknown }).args) };
}
