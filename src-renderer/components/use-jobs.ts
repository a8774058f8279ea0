import { useCallback, useState } from 'react';
import type { JobEvent } from '../../src-shared/jobs';
import { useApi, useApiEvent } from '../api/api-context';
import type { JobView } from './JobProgress';

/** Live view of the jobs this window has seen, newest first. */
export function useJobs() {
  const api = useApi();
  const [jobs, setJobs] = useState<JobView[]>([]);
  useApiEvent('job', (e: JobEvent) => {
    setJobs((list) => {
      const i = list.findIndex((j) => j.jobId === e.jobId);
      const prev = i >= 0 ? list[i]! : { jobId: e.jobId, kind: e.kind };
      const next: JobView = e.type === 'progress' ? { ...prev, progress: e, end: undefined } : { ...prev, end: e };
      if (i >= 0) return list.map((j, k) => (k === i ? next : j));
      return [next, ...list].slice(0, 20);
    });
  });
  const cancel = useCallback((jobId: string) => void api.invoke('jobs.cancel', { jobId }), [api]);
  return { jobs, cancel };
}
