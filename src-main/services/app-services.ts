/**
 * The API handlers: what the Electron main process, the web server and the in-memory test
 * transport all serve. Transports only move messages; everything else is here. The services hold
 * at most one open project at a time; its job manager lives and dies with it.
 */
import path from 'node:path';
import type { AppInfo, ApiEvents, ApiHandlers, EventName, FileEntry } from '../../src-shared/api';
import { KslError } from '../../src-shared/result';
import { appVersion, initProject, listDir, openProject, type Project } from './catalog/project';
import { LATEST_SCHEMA_VERSION } from './catalog/migrations';
import { projectInfo } from './catalog/summary';
import { queryFrames } from './catalog/frames-query';
import { resolveInProject } from './fs/project-paths';
import { JobManager } from './jobs/job-manager';
import { jobDefinitions, ketiOptionsInProject } from './job-kinds';
import { importKeti } from './ingest/keti-import';
import { latestSplit, makeSplit, splitSigners } from './dataset/split';
import { getRun, listRuns } from './training/runs-query';
import { findFfmpeg } from './media/ffmpeg-path';
import { createEditorHandlers } from './editor-handlers';
import { createLiveHandlers } from './live-handlers';

export type Emit = <E extends EventName>(name: E, payload: ApiEvents[E]) => void;

export interface DoorOptions {
  door: AppInfo['door'];
  /** Browser door: the folder whose project this server serves (created there on request). */
  servedDir?: string;
  /** Electron door: native folder pickers. Return undefined when the user cancels. */
  chooseNewProjectDir?: () => Promise<string | undefined>;
  chooseExistingProjectDir?: () => Promise<string | undefined>;
}

export interface AppServices {
  handlers: ApiHandlers;
  current(): { project: Project; jobs: JobManager } | null;
  open(dir: string): Project;
  close(): Promise<void>;
}

export function createAppServices(emit: Emit, door: DoorOptions): AppServices {
  let session: { project: Project; jobs: JobManager } | null = null;

  const attach = (project: Project): Project => {
    const jobs = new JobManager(project, jobDefinitions, {
      emit: (e) => emit('job', e),
      emitChanged: (tables) => emit('catalog.changed', { tables }),
    });
    session = { project, jobs };
    emit('catalog.changed', { tables: ['*'] });
    return project;
  };
  const detach = async () => {
    if (!session) return;
    const s = session;
    session = null;
    await s.jobs.shutdown();
    s.project.close();
  };
  const need = () => {
    if (!session) throw new KslError('NO_PROJECT', 'No project is open: create or open one first.');
    return session;
  };

  const handlers: ApiHandlers = {
    ...createEditorHandlers(need, emit),
    ...createLiveHandlers(need, emit),
    'app.info': () => {
      let ffmpeg: AppInfo['ffmpeg'];
      try {
        const f = findFfmpeg();
        ffmpeg = { path: f.path, source: f.source };
      } catch (e) {
        ffmpeg = { error: (e as Error).message };
      }
      return { version: appVersion(), schemaVersion: LATEST_SCHEMA_VERSION, door: door.door, ffmpeg, dialogs: door.door === 'electron' };
    },
    'project.info': () => projectInfo(need().project),
    'project.create': async () => {
      let dir: string | undefined;
      if (door.chooseNewProjectDir) dir = await door.chooseNewProjectDir();
      else if (door.servedDir) dir = door.servedDir;
      else throw new KslError('UNAVAILABLE', 'This door cannot create projects.');
      if (!dir) throw new KslError('CANCELLED', 'No folder was chosen.');
      if (session && path.resolve(session.project.dir) === path.resolve(dir)) {
        throw new KslError('EXISTS', `${dir} already holds the open project.`);
      }
      const project = initProject(dir);
      await detach();
      return projectInfo(attach(project));
    },
    'project.open': async () => {
      if (!door.chooseExistingProjectDir) {
        throw new KslError('UNAVAILABLE', 'The browser door serves one project; start `ksl serve OTHER_PROJECT` to work on another.');
      }
      const dir = await door.chooseExistingProjectDir();
      if (!dir) throw new KslError('CANCELLED', 'No folder was chosen.');
      const project = openProject(dir);
      await detach();
      return projectInfo(attach(project));
    },
    'frames.list': (filter) => queryFrames(need().project, filter),
    'import.ketiPreview': (params) => {
      const project = need().project;
      return importKeti(project, { ...ketiOptionsInProject(project.dir, params), dryRun: true });
    },
    'dataset.split': (args) => {
      const report = makeSplit(need().project, args);
      emit('catalog.changed', { tables: ['splits'] });
      return report;
    },
    'dataset.latestSplit': ({ level }) => latestSplit(need().project, level)?.report ?? null,
    'dataset.splitSigners': ({ splitId }) => splitSigners(need().project, splitId),
    'runs.list': ({ limit }) => listRuns(need().project, limit),
    'runs.get': ({ id }) => getRun(need().project, id),
    'files.list': ({ dir }) => {
      const abs = resolveInProject(need().project.dir, dir);
      let entries;
      try {
        entries = listDir(abs);
      } catch {
        throw new KslError('NOT_FOUND', `${dir || '.'} is not a folder of this project.`);
      }
      return entries
        .map((e): FileEntry => ({ name: e.name, path: path.posix.join(dir, e.name), kind: e.isDir ? 'dir' : 'file', size: e.size }))
        .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, 'ko') : a.kind === 'dir' ? -1 : 1));
    },
    'jobs.start': (args) => ({ jobId: need().jobs.start(args.kind, args.params) }),
    'jobs.cancel': ({ jobId }) => ({ cancelled: need().jobs.cancel(jobId) }),
    'jobs.resume': ({ jobId }) => ({ jobId: need().jobs.resume(jobId) }),
    'jobs.list': ({ limit }) => need().jobs.list(limit),
  };
  return {
    handlers,
    current: () => session,
    open: (dir) => attach(openProject(dir)),
    close: detach,
  };
}
