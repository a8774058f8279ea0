/**
 * The browser door's Api: the contract over a WebSocket to `ksl serve`. The access token (only
 * for non-loopback servers) comes from the page address's fragment, which is never sent in HTTP
 * requests or Referer headers.
 */
import type { Api } from '../../src-shared/api';
import { createStreamClient } from '../../src-shared/api-client';
import { encodeBinaryRequest, type WireMessage } from '../../src-shared/wire';

export function tokenFromLocation(): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  return m ? m[1]! : null;
}

export function connectWebSocketApi(onStatus: (s: 'open' | 'closed') => void): Api {
  const token = tokenFromLocation();
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${token ? `?token=${token}` : ''}`;
  const listeners: ((m: WireMessage) => void)[] = [];
  const closeListeners: ((r: string) => void)[] = [];
  let socket: WebSocket;
  let queue: (string | Uint8Array)[] = [];
  // One buffer for every binary request: WebSocket.send copies the bytes before it returns.
  let scratch = new Uint8Array(0);
  let retry = 250;
  const open = () => {
    socket = new WebSocket(url);
    socket.onopen = () => {
      retry = 250;
      for (const m of queue) socket.send(m);
      queue = [];
      onStatus('open');
    };
    socket.onmessage = (ev) => {
      let msg: WireMessage;
      try {
        msg = JSON.parse(String(ev.data)) as WireMessage;
      } catch {
        return;
      }
      for (const l of listeners) l(msg);
    };
    socket.onclose = () => {
      onStatus('closed');
      for (const l of closeListeners) l('the server went away');
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };
  open();
  return createStreamClient({
    send: (msg) => {
      const open = socket.readyState === WebSocket.OPEN;
      if (msg.t === 'req') {
        const bin = encodeBinaryRequest(msg, open ? scratch : undefined);
        if (bin) {
          if (!open) queue.push(bin);
          else {
            socket.send(bin);
            // grow the reused buffer when a frame did not fit (the first one, a larger camera)
            if (bin.buffer !== scratch.buffer) scratch = new Uint8Array(bin.byteLength + 4096);
          }
          return;
        }
      }
      const data = JSON.stringify(msg);
      if (open) socket.send(data);
      else queue.push(data);
    },
    onMessage: (l) => listeners.push(l),
    onClose: (l) => closeListeners.push(l),
  });
}

/** URL of a project file (a frame image) for <img src>. */
export function projectFileUrl(rel: string): string {
  const token = tokenFromLocation();
  return `/project-file?path=${encodeURIComponent(rel)}${token ? `&token=${token}` : ''}`;
}
