/**
 * The ground truth of one side of a split, as exporters need it: each member frame with its boxes of the
 * label map's words, class ids attached. TFRecord and COCO exports read the same list, so a model trained on
 * one and scored on the other sees the same images and boxes.
 */
import type { Project } from '../catalog/project';
import type { LabelMapEntry } from './label-maps';
import type { SplitSide } from './split';

export interface ExampleBox {
  boxId: number;
  /** Pixels, top-left origin. */
  x: number;
  y: number;
  w: number;
  h: number;
  difficult: boolean;
  classId: number;
  className: string;
}

export interface SplitExample {
  frameId: number;
  /** Relative to the project folder. */
  file: string;
  width: number;
  height: number;
  /** 방향 of the frame's video ('정면' = frontal), or null. */
  direction: string | null;
  side: SplitSide;
  /** Empty for a background (skipped) frame. */
  boxes: ExampleBox[];
}

export interface SplitExamples {
  examples: SplitExample[];
  /**
   * Member frames left out because they no longer have a box of the label map's words and are not marked
   * skipped (boxes deleted after the split was made). Exporting them box-less would teach the detector that
   * the sign in them is background.
   */
  dropped: number[];
}

interface FrameRow {
  id: number;
  file: string;
  width: number;
  height: number;
  status: string;
  direction: string | null;
  side: SplitSide;
}

interface BoxRow {
  id: number;
  frame_id: number;
  word_id: number | null;
  x: number;
  y: number;
  w: number;
  h: number;
  difficult: number;
}

export function splitExamples(project: Project, splitId: number, side: SplitSide | 'all', labelMap: readonly LabelMapEntry[]): SplitExamples {
  // Both reads in one transaction: one snapshot, so frames and boxes agree while the editor saves.
  return project.db.transaction(() => readExamples(project, splitId, side, labelMap))();
}

function readExamples(project: Project, splitId: number, side: SplitSide | 'all', labelMap: readonly LabelMapEntry[]): SplitExamples {
  const frames = project.db
    .prepare(
      `SELECT f.id, f.file, f.width, f.height, f.status, v.direction, m.side
       FROM split_members m JOIN frames f ON f.id = m.frame_id LEFT JOIN videos v ON v.id = f.video_id
       WHERE m.split_id = ? AND (? = 'all' OR m.side = ?)
       ORDER BY f.id`,
    )
    .all(splitId, side, side) as FrameRow[];
  const boxes = project.db
    .prepare(
      `SELECT b.id, b.frame_id, b.word_id, b.x, b.y, b.w, b.h, b.difficult
       FROM split_members m JOIN boxes b ON b.frame_id = m.frame_id
       WHERE m.split_id = ? AND (? = 'all' OR m.side = ?)
       ORDER BY b.frame_id, b.id`,
    )
    .all(splitId, side, side) as BoxRow[];
  const classOf = new Map(labelMap.map((e) => [e.wordId, e]));
  const byFrame = new Map<number, ExampleBox[]>();
  for (const b of boxes) {
    const cls = b.word_id === null ? undefined : classOf.get(b.word_id);
    if (!cls) continue; // a box of a word outside this label map (another level) is not this detector's class
    let list = byFrame.get(b.frame_id);
    if (!list) byFrame.set(b.frame_id, (list = []));
    list.push({ boxId: b.id, x: b.x, y: b.y, w: b.w, h: b.h, difficult: b.difficult !== 0, classId: cls.id, className: cls.name });
  }
  const examples: SplitExample[] = [];
  const dropped: number[] = [];
  for (const f of frames) {
    // 'skipped' is the annotator's "no sign here": a background example, whatever boxes it may still carry.
    const list = f.status === 'skipped' ? [] : (byFrame.get(f.id) ?? []);
    if (f.status !== 'skipped' && list.length === 0) {
      dropped.push(f.id);
      continue;
    }
    examples.push({ frameId: f.id, file: f.file, width: f.width, height: f.height, direction: f.direction, side: f.side, boxes: list });
  }
  return { examples, dropped };
}
