/**
 * `ksl import videos`: catalog people's own clips. The word comes from the file name
 * (`안녕하세요_03.mp4` → 안녕하세요) or from the folder (`병원/clip 1.mov` → 병원). Hangul,
 * commas and spaces in names are fine; names are NFC-normalised (macOS writes NFD).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { toCatalogPath } from '../fs/project-paths';
import { isVideoFile } from './video-index';


export interface ImportVideosResult {
  videos: number;
  words: number;
  added: number;
  alreadyKnown: number;
  problems: { file: string; message: string }[];
}

export function listVideoFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && isVideoFile(e.name)) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

/** The word a clip shows, from its name: trailing take numbers and separators are dropped. */
export function wordFromName(file: string): string {
  const stem = path.parse(file).name.normalize('NFC');
  const word = stem.replace(/[\s_\-.,()]*(?:take)?[\s_\-.,()]*\d+[\s)]*$/i, '').replace(/_/g, ' ').trim();
  return word || stem.trim();
}

export function importVideos(project: Project, dir: string, wordFrom: 'name' | 'folder' = 'name'): ImportVideosResult {
  const root = path.resolve(dir);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new KslError('NOT_FOUND', `${root}: no such folder; give the folder that holds the video files.`);
  }
  if (!st.isDirectory()) throw new KslError('INVALID', `${root} is a file; give the folder that holds the video files.`);
  const files = listVideoFiles(root);
  const result: ImportVideosResult = { videos: 0, words: 0, added: 0, alreadyKnown: 0, problems: [] };
  const db = project.db;
  const upsertWord = db.prepare('INSERT INTO words (text) VALUES (?) ON CONFLICT(text) DO UPDATE SET text = excluded.text RETURNING id');
  const findVideo = db.prepare('SELECT id FROM videos WHERE path = ?');
  const insertVideo = db.prepare("INSERT INTO videos (word_id, path, source_name, status) VALUES (?, ?, ?, 'linked')");
  const words = new Set<string>();
  db.transaction(() => {
    for (const f of files) {
      const word = wordFrom === 'folder' ? path.basename(path.dirname(f)).normalize('NFC').trim() : wordFromName(f);
      if (!word || (wordFrom === 'folder' && path.dirname(f) === root)) {
        result.problems.push({ file: f, message: 'no word: put the clip in a folder named after its word, or use --word-from name' });
        continue;
      }
      // The stored path keeps the bytes on disk (an NFD name on Linux must stay NFD to be found again).
      const stored = toCatalogPath(project.dir, f);
      words.add(word);
      result.videos++;
      if (findVideo.get(stored)) {
        result.alreadyKnown++;
        continue;
      }
      const { id } = upsertWord.get(word) as { id: number };
      insertVideo.run(id, stored, path.basename(f).normalize('NFC'));
      result.added++;
    }
  })();
  result.words = words.size;
  return result;
}
