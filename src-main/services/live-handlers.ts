/**
 * Handlers for the live interpreter's requests (src-shared/api-live.ts); spread into app-services.
 * PLACEHOLDER: replaced by the inference service wiring (src-main/services/inference/).
 */
import type { ApiHandlers } from '../../src-shared/api';
import { KslError } from '../../src-shared/result';
import type { Emit } from './app-services';
import type { Project } from './catalog/project';
import type { JobManager } from './jobs/job-manager';

type LiveRequestName = 'live.models' | 'live.load' | 'live.detect' | 'editor.propose';
type LiveHandlers = Pick<ApiHandlers, LiveRequestName>;

export function createLiveHandlers(need: () => { project: Project; jobs: JobManager }, _emit: Emit): LiveHandlers {
  const todo = (): never => {
    need();
    throw new KslError('UNAVAILABLE', 'The live interpreter is not built yet.');
  };
  return { 'live.models': todo, 'live.load': todo, 'live.detect': todo, 'editor.propose': todo };
}
