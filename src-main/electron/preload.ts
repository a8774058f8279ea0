/**
 * The only bridge between the sandboxed UI and the main process: `window.ksl.invoke` for the
 * contract's requests and `window.ksl.on` for its events. Names outside the contract are refused
 * here already; the main side validates every payload again.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, REQUEST_NAMES } from '../../src-shared/api';

const requests = new Set<string>(REQUEST_NAMES);
const events = new Set<string>(EVENT_NAMES);

contextBridge.exposeInMainWorld('ksl', {
  invoke(name: string, args: unknown) {
    if (!requests.has(name)) return Promise.resolve({ ok: false, error: { code: 'INVALID', message: `Unknown request ${String(name)}` } });
    return ipcRenderer.invoke('ksl:invoke', name, args);
  },
  on(name: string, listener: (payload: unknown) => void) {
    if (!events.has(name) || typeof listener !== 'function') return () => {};
    const wrapped = (_e: IpcRendererEvent, evName: string, payload: unknown) => {
      if (evName === name) listener(payload);
    };
    ipcRenderer.on('ksl:event', wrapped);
    return () => ipcRenderer.removeListener('ksl:event', wrapped);
  },
});
