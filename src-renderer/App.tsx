import { useCallback, useEffect, useState } from 'react';
import { parseKioskHash } from './live/live-settings';
import { DatasetScreen } from './screens/DatasetScreen';
import { EditorScreen } from './screens/EditorScreen';
import { KioskScreen } from './screens/KioskScreen';
import { LiveScreen } from './screens/LiveScreen';
import { FramesScreen } from './screens/FramesScreen';
import { ImportScreen } from './screens/ImportScreen';
import { TrainScreen } from './screens/TrainScreen';
import { ProjectScreen, useAppInfo } from './screens/ProjectScreen';

const SCREENS = [
  ['project', 'Project'],
  ['import', 'Import'],
  ['frames', 'Frames'],
  ['editor', 'Editor'],
  ['dataset', 'Dataset'],
  ['train', 'Train'],
  ['live', 'Live'],
] as const;
type Screen = (typeof SCREENS)[number][0];

/** The location hash, kept current: `#kiosk…` is the full-screen kiosk (ksl://app/#kiosk in Electron). */
function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

export function App({ connection }: { connection: 'open' | 'closed' | 'ipc' }) {
  const hash = useHash();
  const kiosk = parseKioskHash(hash);
  const [screen, setScreen] = useState<Screen>('project');
  const exitKiosk = useCallback(() => {
    setScreen('live');
    // keep the access token (if any) in the fragment: the WebSocket client reads it from there
    const token = /(?:^#|[&?])token=([A-Za-z0-9_-]+)/.exec(location.hash)?.[1];
    location.hash = token ? `#token=${token}` : '';
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
  }, []);
  if (kiosk) return <KioskScreen key={hash} route={kiosk} onExit={exitKiosk} />;
  return <Studio connection={connection} screen={screen} setScreen={setScreen} />;
}

function Studio({ connection, screen, setScreen }: { connection: 'open' | 'closed' | 'ipc'; screen: Screen; setScreen: (s: Screen) => void }) {
  const app = useAppInfo();
  return (
    <div className="app">
      <header className="topbar">
        <h1>KSL Studio</h1>
        <nav aria-label="screens" className="row">
          {SCREENS.map(([id, label]) => (
            <button key={id} type="button" className={`tab ${screen === id ? 'active' : ''}`} aria-current={screen === id ? 'page' : undefined} onClick={() => setScreen(id)}>
              {label}
            </button>
          ))}
        </nav>
        <span className="grow" />
        {app && 'error' in app.ffmpeg && (
          <span className="warn" title={app.ffmpeg.error}>
            ffmpeg missing
          </span>
        )}
        {connection === 'closed' && <span className="warn" role="status">reconnecting…</span>}
        <span className="muted">{app ? `v${app.version}` : ''}</span>
      </header>
      <main>
        {screen === 'project' && <ProjectScreen app={app} />}
        {screen === 'import' && <ImportScreen />}
        {screen === 'frames' && <FramesScreen />}
        {screen === 'editor' && <EditorScreen />}
        {screen === 'dataset' && <DatasetScreen />}
        {screen === 'train' && <TrainScreen />}
        {screen === 'live' && <LiveScreen />}
      </main>
    </div>
  );
}
