/**
 * Small catalogs for the annotation tests: a real project made by initProject, words, videos and frames
 * inserted directly, and real tiny JPEG/PNG files made by ffmpeg (cached per size, so a test suite runs
 * ffmpeg a handful of times).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initProject, type Project } from '../../../src-main/services/catalog/project';

const FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : 'ffmpeg';
const cache = new Map<string, Buffer>();

/** A real image of the given size: `color=c=red:s=WxH`, one frame, as JPEG or PNG. */
export function tinyImage(kind: 'jpg' | 'png', width = 64, height = 48, colour = 'red'): Buffer {
  const key = `${kind}:${width}x${height}:${colour}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const codec = kind === 'jpg' ? ['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg'] : ['-c:v', 'png'];
  const r = spawnSync(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=${width}x${height}`, '-frames:v', '1', ...codec, '-f', 'image2pipe', '-'], {
    maxBuffer: 1 << 22,
  });
  if (r.error || r.status !== 0) throw new Error(`ffmpeg is needed to make a test image: ${r.error?.message ?? r.stderr?.toString()}`);
  cache.set(key, r.stdout);
  return r.stdout;
}

export function writeImage(file: string, kind: 'jpg' | 'png' = 'jpg', width = 64, height = 48, colour = 'red'): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, tinyImage(kind, width, height, colour));
}

export class AnnotateFixture {
  readonly project: Project;
  private number = 1_000_000_000;

  constructor(dir: string) {
    this.project = initProject(dir);
  }

  word(text: string, level: number | null = 1, label: string | null = null): number {
    return Number(this.project.db.prepare('INSERT INTO words (text, label, level) VALUES (?, ?, ?)').run(text, label, level).lastInsertRowid);
  }

  signer(code: string): number {
    const row = this.project.db.prepare('SELECT id FROM signers WHERE code = ?').get(code) as { id: number } | undefined;
    if (row) return row.id;
    return Number(this.project.db.prepare('INSERT INTO signers (code) VALUES (?)').run(code).lastInsertRowid);
  }

  /** A video of `wordId` with `frames` unlabelled frames at t = 0, 0.2, 0.4…; files written when asked. */
  video(wordId: number | null, frames: number, opts: { signer?: string; files?: boolean; width?: number; height?: number } = {}): { videoId: number; frames: number[] } {
    const db = this.project.db;
    const number = this.number++;
    const signerId = opts.signer ? this.signer(opts.signer) : null;
    const videoId = Number(
      db.prepare("INSERT INTO videos (number, word_id, signer_id, path, status) VALUES (?, ?, ?, ?, 'extracted')").run(number, wordId, signerId, `videos/${number}.mp4`).lastInsertRowid,
    );
    const ids: number[] = [];
    const w = opts.width ?? 64;
    const h = opts.height ?? 48;
    for (let i = 0; i < frames; i++) {
      const file = `frames/${videoId}/${String(i).padStart(5, '0')}.jpg`;
      ids.push(Number(db.prepare('INSERT INTO frames (video_id, t, file, width, height) VALUES (?, ?, ?, ?, ?)').run(videoId, Math.round(i * 2) / 10, file, w, h).lastInsertRowid));
      if (opts.files) writeImage(path.join(this.project.dir, file), 'jpg', w, h);
    }
    return { videoId, frames: ids };
  }

  /** A photo frame (no video), as an import registers one. */
  photo(file: string, opts: { width?: number; height?: number; files?: boolean } = {}): number {
    const w = opts.width ?? 64;
    const h = opts.height ?? 48;
    if (opts.files) writeImage(path.join(this.project.dir, file), 'jpg', w, h);
    return Number(this.project.db.prepare('INSERT INTO frames (video_id, t, file, width, height) VALUES (NULL, NULL, ?, ?, ?)').run(file, w, h).lastInsertRowid);
  }

  status(frameId: number): string {
    return (this.project.db.prepare('SELECT status FROM frames WHERE id = ?').get(frameId) as { status: string }).status;
  }
}

export interface VocObj {
  name: string;
  xmin: number | string;
  ymin: number | string;
  xmax: number | string;
  ymax: number | string;
  difficult?: number;
}

/** An annotation exactly as labelImg writes it. */
export function labelImgXml(o: { folder: string; filename: string; path?: string; w: number; h: number; depth?: number; verified?: boolean; objects: VocObj[] }): string {
  const objs = o.objects
    .map(
      (b) =>
        `\t<object>\n\t\t<name>${b.name}</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n\t\t<difficult>${b.difficult ?? 0}</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>${b.xmin}</xmin>\n\t\t\t<ymin>${b.ymin}</ymin>\n\t\t\t<xmax>${b.xmax}</xmax>\n\t\t\t<ymax>${b.ymax}</ymax>\n\t\t</bndbox>\n\t</object>\n`,
    )
    .join('');
  return (
    `<annotation${o.verified ? ' verified="yes"' : ''}>\n\t<folder>${o.folder}</folder>\n\t<filename>${o.filename}</filename>\n\t<path>${o.path ?? `/home/lab/${o.folder}/${o.filename}`}</path>\n` +
    `\t<source>\n\t\t<database>Unknown</database>\n\t</source>\n\t<size>\n\t\t<width>${o.w}</width>\n\t\t<height>${o.h}</height>\n\t\t<depth>${o.depth ?? 3}</depth>\n\t</size>\n\t<segmented>0</segmented>\n${objs}</annotation>\n`
  );
}
