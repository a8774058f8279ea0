/**
 * The models a project offers the Live screen and the editor: its trained runs (runs/<id>/model.onnx,
 * exported from the best checkpoint on first load, and again when a later checkpoint replaced it) and
 * the ONNX files a researcher put under models/ (e.g. a TF OD API model converted with tf2onnx), each
 * with a label_map.pbtxt beside it. Every path is checked to stay inside the project.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LiveModelInfo } from '../../../src-shared/api-live';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { exportInputDescription, exportRunOnnx } from '../detector/export-onnx';
import { CROP_CLASSIFIER_FILE } from '../training/crop-classifier';
import { cropModelFile } from './detector';
import { resolveInProject } from '../fs/project-paths';
import { readJson, runDir } from '../training/run-store';
import { listRuns } from '../training/runs-query';
import type { RunConfig } from '../training/train-job';
import { inputDims } from '../../../src-shared/detector/anchors';

export const MODELS_DIR = 'models';

/** A resolved model: where its ONNX file and label map are. */
export interface ModelLocation {
  id: string;
  source: 'run' | 'file';
  file: string;
  labelMap: string | null;
  /** For runs: the run id (the file may still have to be exported). */
  runId?: string;
}

const LABEL_MAP = 'label_map.pbtxt';

/** The label map of a models/ file: `<name>.pbtxt`, `<name>.label_map.pbtxt`, or label_map.pbtxt in its folder. */
function labelMapBeside(file: string): string | null {
  const base = file.replace(/\.onnx$/i, '');
  for (const c of [`${base}.label_map.pbtxt`, `${base}.pbtxt`, path.join(path.dirname(file), LABEL_MAP)]) if (existsSync(c)) return c;
  return null;
}

function bestCheckpoint(project: Project, runId: string): string | null {
  const f = path.join(runDir(project, runId), 'best.json');
  return existsSync(f) ? f : null;
}

/** The run's second-stage weights (crop-classifier.json), when it was trained with one. */
function cropClassifier(project: Project, runId: string): string | null {
  const f = path.join(runDir(project, runId), `${CROP_CLASSIFIER_FILE}.json`);
  return existsSync(f) ? f : null;
}

/** Whether `file` exists and was written no earlier than every one of `sources`. */
const newerThan = (file: string, ...sources: string[]): boolean => existsSync(file) && sources.every((s) => statSync(file).mtimeMs >= statSync(s).mtimeMs);

/** Run models first (newest first), then models/ files (by path). */
export function listModels(project: Project): LiveModelInfo[] {
  const out: LiveModelInfo[] = [];
  for (const r of listRuns(project, 200)) {
    if (!bestCheckpoint(project, r.id)) continue;
    const cfg = readJson<RunConfig>(path.join(runDir(project, r.id), 'run.json'));
    if (!cfg) continue;
    const metrics: LiveModelInfo['metrics'] = {};
    if (typeof r.metrics.AP === 'number') metrics.AP = r.metrics.AP;
    if (typeof r.metrics.AP50 === 'number') metrics.AP50 = r.metrics.AP50;
    const { width: IW, height: IH } = inputDims(cfg.anchors);
    out.push({
      id: `run:${r.id}`,
      name: `${r.level !== null ? `Level ${r.level}` : 'All words'} · ${r.id}${r.status !== 'ok' ? ` (${r.status})` : ''}`,
      source: 'run',
      ready: existsSync(path.join(runDir(project, r.id), 'model.onnx')) && (!cropClassifier(project, r.id) || existsSync(cropModelFile(path.join(runDir(project, r.id), 'model.onnx')))),
      format: 'ksl',
      input: { width: IW, height: IH, dtype: 'float32', layout: 'NHWC', scaling: exportInputDescription(IW, IH) },
      classes: cfg.classes.map((c) => ({ id: c.id, name: c.text.normalize('NFC') })),
      metrics,
      createdAt: r.startedAt,
    });
  }
  const root = path.join(project.dir, MODELS_DIR);
  const files: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (e.isFile() && /\.onnx$/i.test(e.name)) files.push(p);
    }
  };
  walk(root, 0);
  for (const f of files.sort()) {
    const rel = path.relative(project.dir, f).split(path.sep).join('/').normalize('NFC');
    try {
      resolveInProject(project.dir, rel);
    } catch {
      continue; // a symlink out of the project
    }
    if (!labelMapBeside(f)) continue;
    out.push({ id: `file:${rel}`, name: path.relative(root, f).split(path.sep).join('/'), source: 'file', ready: true, createdAt: statSync(f).mtime.toISOString() });
  }
  return out;
}

/** Resolves a model id to its files, without exporting anything. */
export function locateModel(project: Project, id: string): ModelLocation {
  if (id.startsWith('run:')) {
    const runId = id.slice(4);
    if (!/^[A-Za-z0-9_.-]{1,80}$/.test(runId) || runId.startsWith('.')) throw new KslError('INVALID', `Model id ${JSON.stringify(id)} does not name a run.`);
    const dir = resolveInProject(project.dir, path.join('runs', runId));
    if (!existsSync(path.join(dir, 'run.json'))) throw new KslError('NOT_FOUND', `No training run ${runId} in ${path.join(project.dir, 'runs')} (live.models lists the models).`);
    return { id, source: 'run', runId, file: path.join(dir, 'model.onnx'), labelMap: path.join(dir, LABEL_MAP) };
  }
  if (id.startsWith('file:')) {
    const rel = id.slice(5);
    if (!/\.onnx$/i.test(rel)) throw new KslError('INVALID', `Model ${JSON.stringify(rel)} is not an .onnx file.`);
    const file = resolveInProject(project.dir, rel);
    if (!existsSync(file)) throw new KslError('NOT_FOUND', `No model file ${rel} in the project folder ${project.dir}.`);
    const labelMap = labelMapBeside(file);
    if (!labelMap) throw new KslError('NOT_FOUND', `${rel} has no label map: put its label_map.pbtxt beside it (or ${path.basename(rel, '.onnx')}.pbtxt).`);
    return { id, source: 'file', file, labelMap };
  }
  throw new KslError('INVALID', `Model id ${JSON.stringify(id)} is neither run:<id> nor file:<path>.`);
}

const exporting = new Map<string, Promise<void>>();

/**
 * A run's model.onnx, exported from the best checkpoint when missing or older than that checkpoint
 * (a resumed run may have found a better one); with model.crop.onnx beside it when the run has a second
 * stage (exported again when missing or older than the checkpoint or crop-classifier.json). Concurrent
 * callers share one export.
 */
export async function ensureRunModel(
  project: Project,
  loc: ModelLocation,
  exporter: (runId: string, out: string) => Promise<unknown> = (runId, out) => exportRunOnnx(project, runId, out, { parityFrames: 0 }),
): Promise<{ exported: boolean }> {
  if (loc.source !== 'run') return { exported: false };
  const best = bestCheckpoint(project, loc.runId!);
  if (!best) throw new KslError('NOT_FOUND', `Run ${loc.runId} has no evaluated checkpoint yet; wait for its first evaluation.`);
  // A run trained with a second stage also needs model.crop.onnx, as new as its crop-classifier.json.
  const crop = cropClassifier(project, loc.runId!);
  const fresh = newerThan(loc.file, best) && existsSync(loc.labelMap!) && (!crop || newerThan(cropModelFile(loc.file), best, crop));
  if (fresh) return { exported: false };
  let p = exporting.get(loc.file);
  if (!p) {
    // The parity check belongs to `ksl export onnx`; on first load it would cost seconds of tfjs start-up.
    p = exporter(loc.runId!, loc.file).then(() => undefined);
    exporting.set(loc.file, p);
    p.finally(() => exporting.delete(loc.file)).catch(() => {});
  }
  await p;
  return { exported: true };
}
