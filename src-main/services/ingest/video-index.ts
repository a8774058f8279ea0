/**
 * Indexes a folder of delivered KETI videos by their 10-digit number. The delivery splits files into
 * number-range folders (`0001~3000/`) and often re-encodes them (.avi/.mp4 where the sheet says
 * .MOV/.MTS), so a row is matched by NUMBER, any video extension, anywhere below the root — never by
 * joining the sheet's file name onto a folder.
 */
import { existsSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { KslError } from '../../../src-shared/result';
import { tenDigitNumber } from './keti-sheet';

export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.mp4', '.avi', '.mov', '.mts', '.m2ts', '.mkv', '.m4v', '.webm', '.wmv', '.mpg', '.mpeg',
]);

export const isVideoFile = (name: string): boolean => VIDEO_EXTENSIONS.has(path.extname(name).toLowerCase());

export interface VideoIndexOptions {
  signal?: AbortSignal;
  /** Called every few hundred folders with the number of video files seen so far. */
  onProgress?: (files: number, dir: string) => void;
}

/** Code-unit order: the same on every machine and locale, so "keep the first" is reproducible. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface DuplicateVideo {
  number: number;
  kept: string;
  ignored: string;
}

/**
 * number → absolute path, plus what did not fit: video files with no 10-digit number in their
 * name, second files for a number already seen, and folders that could not be read.
 */
export class VideoIndex extends Map<number, string> {
  readonly duplicates: DuplicateVideo[] = [];
  readonly unnumbered: string[] = [];
  readonly unreadable: string[] = [];
  /** Video files seen (numbered or not). */
  files = 0;
  constructor(readonly root: string) {
    super();
  }

  /** Video files that belong to none of `numbers` (and those without a number), sorted. */
  unmatched(numbers: ReadonlySet<number>): string[] {
    const out = [...this.unnumbered];
    for (const [n, p] of this) if (!numbers.has(n)) out.push(p);
    return out.sort(byCodeUnits);
  }
}

/**
 * The path to keep for a file found on disk. Names are NFC-normalised (macOS writes Hangul folder
 * names as NFD), unless this file system cannot open the NFC spelling — an ext4 disk holding NFD
 * names copied from a Mac opens them only by their real bytes.
 */
function nfcPath(abs: string): string {
  const n = abs.normalize('NFC');
  return n === abs || existsSync(n) ? n : abs;
}

/**
 * Recursively indexes video files under `root`. Hidden entries are skipped (macOS leaves
 * `._KETI_SL_….MOV` AppleDouble files on exFAT drives, which would otherwise claim numbers).
 * Symbolic links are followed, each real folder visited once so a link loop cannot hang the walk.
 * When two files carry the same number, the first by sorted path is kept and the other reported.
 */
export function indexVideos(root: string, opts: VideoIndexOptions = {}): VideoIndex {
  const abs = path.resolve(root);
  if (!existsSync(abs)) throw new KslError('NOT_FOUND', `The video folder ${abs} does not exist. Check the --videos path (an unplugged drive?).`, { dir: abs });
  if (!statSync(abs).isDirectory()) throw new KslError('INVALID', `${abs} is a file; --videos takes the folder that holds the videos.`, { dir: abs });
  // Resolve the root itself so that paths inside a project folder reached through a link are still
  // recognised as inside it (the catalog stores those relative).
  const realRoot = nfcPath(realpathSync(abs));
  const index = new VideoIndex(realRoot);
  const found: { path: string; number: number | null }[] = [];
  const visited = new Set<string>([realpathSync(abs)]);
  const stack: string[] = [realRoot];
  let dirs = 0;
  while (stack.length) {
    opts.signal?.throwIfAborted();
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      index.unreadable.push(dir);
      continue;
    }
    if (++dirs % 200 === 0) opts.onProgress?.(found.length, dir);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // a dangling link
        }
      }
      if (isDir) {
        let real: string;
        try {
          real = realpathSync(full);
        } catch {
          index.unreadable.push(full);
          continue;
        }
        if (visited.has(real)) continue;
        visited.add(real);
        stack.push(full);
      } else if (isFile && isVideoFile(e.name)) {
        found.push({ path: nfcPath(full), number: tenDigitNumber(e.name.normalize('NFC')) });
      }
    }
  }
  found.sort((a, b) => byCodeUnits(a.path, b.path));
  index.files = found.length;
  for (const f of found) {
    if (f.number === null) {
      index.unnumbered.push(f.path);
      continue;
    }
    const kept = index.get(f.number);
    if (kept === undefined) index.set(f.number, f.path);
    else index.duplicates.push({ number: f.number, kept, ignored: f.path });
  }
  opts.onProgress?.(found.length, realRoot);
  return index;
}
