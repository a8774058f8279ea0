/**
 * Projects for the editor's browser tests, made the way users make them:
 *  - `sampleProject`: `ksl sample` → `ksl init` → `ksl import keti` → `ksl extract`, all through the CLI
 *    (real synthetic-signer videos, real JPEG frames, the video's word on every frame);
 *  - `bigProject`: 100,000 frame rows inserted with better-sqlite3 (1,000 videos × 100 frames), the frames
 *    of a few videos backed by real JPEGs made with ffmpeg (hard links to a handful of files: frames.file is
 *    UNIQUE, so every row needs its own path) and holding two boxes each.
 * Plus `readBoxes`, the catalog as the test reads it while `ksl serve` holds it open (WAL allows it).
 */
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { initProject } from '../../src-main/services/catalog/project';
import { ksl } from './cli';

export function sampleProject(root: string, opts: { words?: number; signers?: number; seconds?: number } = {}): string {
  const sample = path.join(root, 'sample');
  const project = path.join(root, 'project');
  const s = ksl(['sample', '--out', sample, '--words', String(opts.words ?? 2), '--signers', String(opts.signers ?? 2), '--seconds', String(opts.seconds ?? 2), '--json', '--quiet']);
  if (s.code !== 0) throw new Error(`ksl sample failed: ${s.stderr}`);
  const sj = s.json();
  const steps: string[][] = [
    ['init', project],
    ['import', 'keti', project, '--annotations', sj.annotations, '--words', sj.words, '--labels', sj.labels, '--direction', '정면', '--type', '단어', '--videos', sj.videosDir, '--json', '--quiet'],
    ['extract', project, '--fps', '5', '--json', '--quiet'],
  ];
  for (const args of steps) {
    const r = ksl(args);
    if (r.code !== 0) throw new Error(`ksl ${args[0]} failed: ${r.stderr}`);
  }
  return project;
}

export interface CatalogBox {
  id: number;
  frame_id: number;
  word_id: number | null;
  x: number;
  y: number;
  w: number;
  h: number;
  difficult: number;
  source: string;
  verified: number;
}

/** Boxes of one frame (or all), oldest first, read from the catalog file itself. */
export function readBoxes(project: string, frameId?: number): CatalogBox[] {
  const db = new Database(path.join(project, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const sql = 'SELECT id, frame_id, word_id, x, y, w, h, difficult, source, verified FROM boxes';
    return (frameId === undefined ? db.prepare(`${sql} ORDER BY id`).all() : db.prepare(`${sql} WHERE frame_id = ? ORDER BY id`).all(frameId)) as CatalogBox[];
  } finally {
    db.close();
  }
}

export function readCatalog<T>(project: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(project, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Frames in the editor's D order (video, then time). */
export function framesInOrder(project: string): { id: number; video_id: number | null; word_id: number | null; width: number; height: number; status: string }[] {
  return readCatalog(
    project,
    'SELECT f.id, f.video_id, v.word_id, f.width, f.height, f.status FROM frames f LEFT JOIN videos v ON v.id = f.video_id ORDER BY f.video_id, f.t',
  );
}

function jpeg(file: string, width: number, height: number, second: number): void {
  const r = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=${second + 1}`,
    '-ss', String(second), '-frames:v', '1', '-q:v', '4', file,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr?.toString()}`);
}

export interface BigProject {
  dir: string;
  frames: number;
  /** Videos whose frames have image files and boxes. */
  videos: number[];
  /** The first frame of the first of those videos. */
  startFrameId: number;
}

/**
 * `videos` × `perVideo` frames (default 1,000 × 100 = 100,000). The frames of the videos numbered
 * `withFiles` (1-based) get real images and two boxes each; the other rows point at files that are never
 * opened (the editor only reads the images of the frames it shows).
 */
export function bigProject(dir: string, opts: { videos?: number; perVideo?: number; withFiles?: number[]; width?: number; height?: number } = {}): BigProject {
  const nVideos = opts.videos ?? 1000;
  const perVideo = opts.perVideo ?? 100;
  const withFiles = new Set(opts.withFiles ?? [500, 501]);
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const project = initProject(dir);
  const db = project.db;
  const images = path.join(dir, 'imports', 'source-images');
  mkdirSync(images, { recursive: true });
  const sources = [0, 1, 2, 3, 4].map((s) => {
    const f = path.join(images, `src-${s}.jpg`);
    jpeg(f, width, height, s);
    return f;
  });
  const videos: number[] = [];
  let startFrameId = 0;
  db.transaction(() => {
    const word = Number(db.prepare('INSERT INTO words (text, label, level) VALUES (?, ?, 1)').run('병원', 'hospital').lastInsertRowid);
    db.prepare('INSERT INTO words (text, label, level) VALUES (?, ?, 1)').run('학교', 'school');
    const signer = Number(db.prepare("INSERT INTO signers (code) VALUES ('01')").run().lastInsertRowid);
    const v = db.prepare("INSERT INTO videos (number, word_id, signer_id, path, status, width, height) VALUES (?, ?, ?, ?, 'extracted', ?, ?)");
    const fr = db.prepare("INSERT INTO frames (video_id, t, file, width, height, status) VALUES (?, ?, ?, ?, ?, 'labelled')");
    const frUnlabelled = db.prepare('INSERT INTO frames (video_id, t, file, width, height) VALUES (?, ?, ?, ?, ?)');
    const box = db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, source) VALUES (?, ?, ?, ?, ?, ?, 'manual')");
    for (let i = 1; i <= nVideos; i++) {
      const vid = Number(v.run(1_000_000_000 + i, word, signer, `videos/${i}.mp4`, width, height).lastInsertRowid);
      const real = withFiles.has(i);
      if (real) {
        videos.push(vid);
        mkdirSync(path.join(dir, 'frames', String(vid)), { recursive: true });
      }
      for (let k = 0; k < perVideo; k++) {
        const file = `frames/${vid}/${String(k).padStart(5, '0')}.jpg`;
        if (!real) {
          frUnlabelled.run(vid, k / 5, file, width, height);
          continue;
        }
        const id = Number(fr.run(vid, k / 5, file, width, height).lastInsertRowid);
        if (!startFrameId) startFrameId = id;
        linkSync(sources[k % sources.length]!, path.join(dir, file));
        // Two boxes that move a little from frame to frame, as hands do.
        box.run(id, word, 180 + (k % 10) * 4, 90, 90, 110);
        box.run(id, word, 370 - (k % 10) * 4, 100, 80, 100);
      }
    }
  })();
  project.close();
  return { dir: path.resolve(dir), frames: nVideos * perVideo, videos, startFrameId };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
