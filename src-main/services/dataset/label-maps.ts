/**
 * Class ids for training and export. The ids are derived from the catalog every time, in a stable order
 * (level, then name, then word id), so the same words always get the same ids: a model exported last week
 * still decodes with today's label map as long as the word list has not changed.
 *
 * A label map covers one level (what one detector is trained on) or all words. The two number the same
 * word differently, which is why each export writes the map it was built with beside the records.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeLabelMap, type LabelMapItem } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { writeFileAtomic } from './atomic-write';

export interface LabelMapEntry extends LabelMapItem {
  wordId: number;
  /** The Korean word (NFC). */
  text: string;
  /** The researchers' ASCII label, when the level table gave one. */
  label: string | null;
  level: number | null;
}

interface WordRow {
  id: number;
  text: string;
  label: string | null;
  level: number | null;
}

/** Plain code-point order: locale collation differs between machines and would renumber classes. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Label map items for `level` (every word when undefined or null), ids from 1. The name is the word's ASCII
 * label when it has one (the notebook's label maps used those, and some TF tooling prints names to ASCII
 * consoles), otherwise the Korean text; when the name is the label, the Korean text rides along as
 * `display_name` so a researcher reading the file still sees the word.
 */
export function labelMapItems(project: Project, level?: number | null): LabelMapEntry[] {
  const rows = (
    level === undefined || level === null
      ? project.db.prepare('SELECT id, text, label, level FROM words').all()
      : project.db.prepare('SELECT id, text, label, level FROM words WHERE level = ?').all(level)
  ) as WordRow[];
  const named = rows.map((w) => ({ ...w, name: w.label && w.label.trim() ? w.label : w.text }));
  named.sort(
    (a, b) =>
      // Words without a level go last: they are the ones not yet placed in the curriculum.
      (a.level ?? Number.MAX_SAFE_INTEGER) - (b.level ?? Number.MAX_SAFE_INTEGER) || byCodePoint(a.name, b.name) || a.id - b.id,
  );
  const seen = new Map<string, string>();
  return named.map((w, i) => {
    // A label can equal another word's Korean text; two classes with one name would be indistinguishable.
    const other = seen.get(w.name);
    if (other !== undefined) {
      throw new KslError('CONFLICT', `Two words share the label-map name ${JSON.stringify(w.name)} ("${other}" and "${w.text}"); give one of them a different label.`);
    }
    seen.set(w.name, w.text);
    const entry: LabelMapEntry = { id: i + 1, name: w.name, wordId: w.id, text: w.text, label: w.label, level: w.level };
    if (w.name !== w.text) entry.displayName = w.text;
    return entry;
  });
}

/** The levels that have words, ascending. */
export function wordLevels(project: Project): number[] {
  return project.db.prepare('SELECT DISTINCT level FROM words WHERE level IS NOT NULL ORDER BY level').pluck().all() as number[];
}

export function labelMapFileName(level?: number | null): string {
  return level === undefined || level === null ? 'label_map.pbtxt' : `label_map_level${level}.pbtxt`;
}

/**
 * Writes `label_map.pbtxt` (all words) and `label_map_level<N>.pbtxt` for each level into `outDir`;
 * returns the paths written, all-words map first.
 */
export function writeLabelMaps(project: Project, outDir: string): string[] {
  const all = labelMapItems(project);
  if (all.length === 0) throw new KslError('INVALID', 'The project has no words yet, so there is no label map to write; import words first (ksl import keti or ksl import videos).');
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const level of [null, ...wordLevels(project)]) {
    const file = path.join(outDir, labelMapFileName(level));
    writeFileAtomic(file, writeLabelMap(level === null ? all : labelMapItems(project, level)));
    written.push(file);
  }
  return written;
}
