/**
 * Small labelled projects for the dataset tests: real catalogs made with initProject, rows inserted directly,
 * and (when asked) real JPEG files for every frame so exports can read them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Project } from '../../src-main/services/catalog/project';

const FFMPEG = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : 'ffmpeg';

export const FRAME_W = 64;
export const FRAME_H = 48;

let cachedJpeg: Buffer | undefined;
/** One real 64x48 baseline JPEG, made once by ffmpeg and reused for every frame file. */
export function tinyJpeg(): Buffer {
  if (cachedJpeg) return cachedJpeg;
  const r = spawnSync(
    FFMPEG,
    ['-v', 'error', '-f', 'lavfi', '-i', `color=c=red:s=${FRAME_W}x${FRAME_H}`, '-frames:v', '1', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-f', 'image2pipe', '-'],
    { maxBuffer: 1 << 20 },
  );
  if (r.error || r.status !== 0) throw new Error(`ffmpeg is needed to make a test JPEG: ${r.error?.message ?? r.stderr?.toString()}`);
  return (cachedJpeg = r.stdout);
}

export class CatalogBuilder {
  constructor(
    readonly project: Project,
    private readonly withFiles = false,
  ) {}

  word(text: string, level: number | null, label: string | null = null): number {
    return Number(this.project.db.prepare('INSERT INTO words (text, label, level) VALUES (?, ?, ?)').run(text, label, level).lastInsertRowid);
  }

  signer(code: string): number {
    const row = this.project.db.prepare('SELECT id FROM signers WHERE code = ?').get(code) as { id: number } | undefined;
    if (row) return row.id;
    return Number(this.project.db.prepare('INSERT INTO signers (code) VALUES (?)').run(code).lastInsertRowid);
  }

  /**
   * A video of `wordId` by `signer` (null: unknown) with `labelled` frames, each holding one box of the word,
   * and `skipped` background frames. Returns the video id and its frame ids (labelled first).
   */
  video(
    wordId: number,
    signer: string | null,
    labelled: number,
    opts: { skipped?: number; direction?: string; hint?: string | null; box?: { x: number; y: number; w: number; h: number } } = {},
  ): { videoId: number; frames: number[] } {
    const db = this.project.db;
    const number = this.nextNumber();
    const signerId = signer === null ? null : this.signer(signer);
    const videoId = Number(
      db
        .prepare("INSERT INTO videos (number, word_id, signer_id, direction, path, status) VALUES (?, ?, ?, ?, ?, 'extracted')")
        .run(number, wordId, signerId, opts.direction ?? '정면', `videos/${number}.mp4`).lastInsertRowid,
    );
    const frames: number[] = [];
    const total = labelled + (opts.skipped ?? 0);
    for (let i = 0; i < total; i++) {
      const isLabelled = i < labelled;
      const file = `frames/${videoId}/${String(i).padStart(5, '0')}.jpg`;
      const frameId = Number(
        db
          .prepare('INSERT INTO frames (video_id, t, file, width, height, status, split_hint) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(videoId, i * 0.2, file, FRAME_W, FRAME_H, isLabelled ? 'labelled' : 'skipped', opts.hint ?? null).lastInsertRowid,
      );
      if (isLabelled) {
        const b = opts.box ?? { x: 10 + (i % 5), y: 8, w: 20, h: 24 };
        db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, source) VALUES (?, ?, ?, ?, ?, ?, 'manual')").run(frameId, wordId, b.x, b.y, b.w, b.h);
      }
      this.writeFile(file);
      frames.push(frameId);
    }
    return { videoId, frames };
  }

  /** A photo: a frame without a video, with one box of `wordId`. */
  photo(wordId: number, hint: string | null = null): number {
    const file = `frames/photos/${wordId}-${this.nextNumber()}.jpg`;
    const frameId = Number(
      this.project.db
        .prepare("INSERT INTO frames (video_id, t, file, width, height, status, split_hint) VALUES (NULL, NULL, ?, ?, ?, 'labelled', ?)")
        .run(file, FRAME_W, FRAME_H, hint).lastInsertRowid,
    );
    this.project.db.prepare('INSERT INTO boxes (frame_id, word_id, x, y, w, h) VALUES (?, ?, 5, 5, 10, 10)').run(frameId, wordId);
    this.writeFile(file);
    return frameId;
  }

  /** KETI-like 10-digit numbers, unique in the catalog (several builders may share one project). */
  private nextNumber(): number {
    const max = this.project.db.prepare('SELECT MAX(number) FROM videos').pluck().get() as number | null;
    const photos = this.project.db.prepare('SELECT COUNT(*) FROM frames WHERE video_id IS NULL').pluck().get() as number;
    return Math.max(max ?? 1000000000, 1000000000 + photos) + 1;
  }

  private writeFile(rel: string): void {
    if (!this.withFiles) return;
    const abs = path.join(this.project.dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, tinyJpeg());
  }
}

export const SIGNERS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];

export interface StandardCatalog {
  /** word text → id */
  words: Record<string, number>;
  /** The word recorded by one signer only. */
  loneWord: string;
}

/**
 * Level 1: 안녕하세요 (label hello), 감사합니다 (thanks), 학교 (no label); level 2: 119, 유치원 버스 (label
 * kindergarten_bus), 병원 (one signer only). Every other word is signed by all ten signers, 4–6 labelled
 * frames per video plus one skipped frame; video lengths vary so fractions cannot be hit by accident.
 */
export function standardCatalog(b: CatalogBuilder): StandardCatalog {
  // One transaction: a few hundred autocommitted inserts would each wait on the WAL.
  return b.project.db.transaction(() => standardRows(b))();
}

function standardRows(b: CatalogBuilder): StandardCatalog {
  const words: Record<string, number> = {
    안녕하세요: b.word('안녕하세요', 1, 'hello'),
    감사합니다: b.word('감사합니다', 1, 'thanks'),
    학교: b.word('학교', 1),
    '119': b.word('119', 2),
    '유치원 버스': b.word('유치원 버스', 2, 'kindergarten_bus'),
    병원: b.word('병원', 2),
  };
  let k = 0;
  for (const text of ['안녕하세요', '감사합니다', '학교', '119', '유치원 버스']) {
    for (const s of SIGNERS) b.video(words[text], s, 4 + (k++ % 3), { skipped: 1, direction: k % 4 === 0 ? '측면' : '정면' });
  }
  b.video(words['병원'], '3', 5);
  b.video(words['병원'], '3', 4);
  return { words, loneWord: '병원' };
}
