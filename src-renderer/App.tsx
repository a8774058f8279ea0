import { useState } from 'react';
import { DatasetScreen } from './screens/DatasetScreen';
import { EditorScreen } from './screens/EditorScreen';
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
] as const;
type Screen = (typeof SCREENS)[number][0];

export function App({ connection }: { connection: 'open' | 'closed' | 'ipc' }) {
  const app = useAppInfo();
  const [screen, setScreen] = useState<Screen>('project');
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
      </main>
    </div>
  );
}
