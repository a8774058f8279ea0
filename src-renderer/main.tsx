import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { Api } from '../src-shared/api';
import { ApiContext } from './api/api-context';
import { connectWebSocketApi } from './api/ws-client';
import { App } from './App';
import './styles.css';

declare global {
  interface Window {
    /** Present in the Electron window: the preload's allow-listed bridge. */
    ksl?: Api;
  }
}

let setStatus: (s: 'open' | 'closed') => void = () => {};
const api: Api = window.ksl ?? connectWebSocketApi((s) => setStatus(s));

function Root() {
  const [connection, setConnection] = useState<'open' | 'closed' | 'ipc'>(window.ksl ? 'ipc' : 'open');
  setStatus = setConnection;
  return (
    <ApiContext.Provider value={api}>
      <App connection={connection} />
    </ApiContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
