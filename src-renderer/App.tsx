import { ProjectScreen, useAppInfo } from './screens/ProjectScreen';

export function App({ connection }: { connection: 'open' | 'closed' | 'ipc' }) {
  const app = useAppInfo();
  return (
    <div className="app">
      <header className="topbar">
        <h1>KSL Studio</h1>
        <nav aria-label="screens">
          <span className="tab active">Project</span>
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
        <ProjectScreen app={app} />
      </main>
    </div>
  );
}
