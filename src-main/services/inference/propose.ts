/**
 * Model-assisted labelling: a model's detections on frames nobody has labelled yet enter the catalog
 * as boxes with source 'model', unverified, carrying the score, for the annotator to accept (verify) or
 * fix. Frames that already have boxes, or that someone marked skipped, are left alone. Frames are decoded
 * the way training decodes them (one ffmpeg process per size, stretched to the model's input with
 * swscale's bilinear filter, or fitted with their shape kept: see below); each frame's proposals are one
 * transaction.
 */
import { readFileSync } from 'node:fs';
import type { LiveDetection, LiveSettings, ProposeResult } from '../../../src-shared/api-live';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';
import { addBox, frameBoxes, getFrame, MIN_BOX_SIDE, type FrameRecord } from '../annotate/boxes';
import type { Project } from '../catalog/project';
import { fromCatalogPath } from '../fs/project-paths';
import { decodeFramesRgb } from '../training/decode-frames';
import { frameFit } from '../../../src-shared/frame-fit';

export interface ProposeModel {
  /** The model's input size, or null when it takes frames at any size (the frame's own is used). */
  input: { width: number; height: number } | null;
  labelMap: string | null;
  detect(rgb: Uint8Array, width: number, height: number, settings?: Partial<LiveSettings>): Promise<{ detections: LiveDetection[] }>;
}

/** Label-map class id → the project's word, by name: the word's label or its Korean text (NFC). */
export function classToWord(project: Project, labelMapFile: string | null): Map<number, number> {
  const out = new Map<number, number>();
  if (!labelMapFile) return out;
  const items = parseLabelMap(readFileSync(labelMapFile, 'utf8'), labelMapFile);
  const words = project.db.prepare('SELECT id, text, label FROM words').all() as { id: number; text: string; label: string | null }[];
  const byLabel = new Map<string, number>();
  const byText = new Map<string, number>();
  for (const w of words) {
    if (w.label && w.label.trim()) byLabel.set(w.label.normalize('NFC'), w.id);
    byText.set(w.text.normalize('NFC'), w.id);
  }
  for (const it of items) {
    const name = it.name.normalize('NFC');
    const display = it.displayName?.normalize('NFC');
    const id = byLabel.get(name) ?? byText.get(name) ?? (display !== undefined ? (byText.get(display) ?? byLabel.get(display)) : undefined);
    if (id !== undefined) out.set(it.id, id);
  }
  return out;
}

const wanted = (project: Project, f: FrameRecord) => f.status !== 'skipped' && frameBoxes(project, f.id).length === 0;

export async function proposeBoxes(
  project: Project,
  model: ProposeModel,
  frameIds: readonly number[],
  settings: Partial<LiveSettings> | undefined,
  signal?: AbortSignal,
): Promise<ProposeResult & { unmatchedClasses: number[] }> {
  const frames = [...new Set(frameIds)].map((id) => getFrame(project, id));
  const todo = frames.filter((f) => wanted(project, f));
  const words = classToWord(project, model.labelMap);
  const unmatched = new Set<number>();
  let boxes = 0;

  // Group by decode size: a fixed-input model gets a frame of about its input's shape stretched to it;
  // a frame of another shape (a portrait video before a 16:9 model) at its own size, for the detector to
  // fit with its shape kept and padded (frame-fit.ts), as live; a model of any input, each frame's own size.
  const groups = new Map<string, FrameRecord[]>();
  for (const f of todo) {
    const fixed = model.input && frameFit(f.width, f.height, model.input.width, model.input.height).mode === 'stretch' ? model.input : null;
    const w = fixed?.width ?? f.width;
    const h = fixed?.height ?? f.height;
    const k = `${w}x${h}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  for (const [size, group] of groups) {
    const [w, h] = size.split('x').map(Number) as [number, number];
    const results: { frame: FrameRecord; detections: LiveDetection[] }[] = [];
    await decodeFramesRgb(
      group.map((f) => fromCatalogPath(project.dir, f.file)),
      w,
      h,
      async (i, rgb) => {
        const r = await model.detect(rgb, w, h, settings);
        results.push({ frame: group[i]!, detections: r.detections });
      },
      signal,
    );
    for (const { frame, detections } of results) {
      const added = project.db.transaction(() => {
        // Someone may have labelled or skipped it while the model ran: their boxes win.
        if (!wanted(project, getFrame(project, frame.id))) return 0;
        let n = 0;
        for (const d of detections) {
          const [ymin, xmin, ymax, xmax] = d.box;
          const x = xmin * frame.width;
          const y = ymin * frame.height;
          const bw = (xmax - xmin) * frame.width;
          const bh = (ymax - ymin) * frame.height;
          if (bw < MIN_BOX_SIDE || bh < MIN_BOX_SIDE) continue;
          const wordId = words.get(d.classId);
          if (wordId === undefined) unmatched.add(d.classId);
          addBox(project, frame.id, { x, y, w: bw, h: bh, wordId: wordId ?? null, source: 'model', verified: false, score: d.score });
          n++;
        }
        return n;
      })();
      boxes += added;
    }
  }
  if (todo.length > 0 && signal?.aborted) throw new KslError('CANCELLED', 'Cancelled.');
  return { frames: todo.length, boxes, skipped: frames.length - todo.length, unmatchedClasses: [...unmatched].sort((a, b) => a - b) };
}

