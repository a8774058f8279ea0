/** Handlers for the editor's requests (src-shared/api-editor.ts); spread into app-services. */
import type { Project } from './catalog/project';

export function createEditorHandlers(_need: () => { project: Project }) {
  return {};
}
