/**
 * Boxes from a sample dataset's ground truth (`ksl sample` writes one box per frame time): every
 * extracted frame of a video whose KETI number is in the file gets the hand's box at its time,
 * scaled to the frame's size, labelled with the video's word, source 'groundtruth'. This is how the
 * demo and the benchmarks score the pipeline without hand labelling. Idempotent: earlier
 * ground-truth boxes of those frames are replaced; manual boxes are never touched.
 */
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { groundTruthBoxAt, readGroundTruth } from '../sample/ground-truth';

export interface ImportGroundTruthResult {
  videos: number;
  frames: number;
  boxes: number;
  /** Frames whose time lies outside the clip's ground truth (left without a box). */
  unmatchedFrames: number;
  /** Ground-truth videos with no catalogued video of that number. */
  missingVideos: number[];
}

export function importGroundTruth(project: Project, file: string): ImportGroundTruthResult {
  const gt = readGroundTruth(file);
  const db = project.db;
  const byNumber = new Map(gt.videos.map((v) => [v.number, v]));
  const videos = db
    .prepare('SELECT id, number, word_id FROM videos WHERE number IS NOT NULL')
    .all() as { id: number; number: number; word_id: number | null }[];
  const framesOf = db.prepare('SELECT id, t, width, height, status FROM frames WHERE video_id = ? ORDER BY t');
  const clear = db.prepare("DELETE FROM boxes WHERE frame_id = ? AND source = 'groundtruth'");
  const insert = db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, source) VALUES (?, ?, ?, ?, ?, ?, 'groundtruth')");
  const label = db.prepare("UPDATE frames SET status = 'labelled' WHERE id = ? AND status = 'unlabelled'");
  const result: ImportGroundTruthResult = { videos: 0, frames: 0, boxes: 0, unmatchedFrames: 0, missingVideos: [] };
  const seen = new Set<number>();
  db.transaction(() => {
    for (const v of videos) {
      const g = byNumber.get(v.number);
      if (!g) continue;
      seen.add(v.number);
      if (v.word_id === null) throw new KslError('INVALID', `${file}: video ${v.number} has no word in the catalog; import the sheet first.`);
      result.videos++;
      for (const f of framesOf.all(v.id) as { id: number; t: number; width: number; height: number; status: string }[]) {
        result.frames++;
        clear.run(f.id);
        const b = groundTruthBoxAt(g, f.t);
        if (!b) {
          result.unmatchedFrames++;
          continue;
        }
        // frames may have been shrunk at extraction (--max-side): scale from the video's size
        const sx = f.width / gt.width;
        const sy = f.height / gt.height;
        insert.run(f.id, v.word_id, b.x * sx, b.y * sy, b.w * sx, b.h * sy);
        label.run(f.id);
        result.boxes++;
      }
    }
  })();
  result.missingVideos = gt.videos.filter((v) => !seen.has(v.number)).map((v) => v.number);
  return result;
}
