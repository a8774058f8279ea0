import { projectFileUrl } from './ws-client';

/** URL of an image inside the open project, for whichever door the UI is behind. */
export function fileUrl(rel: string): string {
  if (window.ksl) return `ksl://project/${rel.split('/').map(encodeURIComponent).join('/')}`;
  return projectFileUrl(rel);
}
