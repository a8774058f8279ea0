/**
 * A training run on disk and in the catalog: runs/<id>/ holds run.json (the full config, split,
 * data fingerprint, pretrained model and licence, backend), checkpoint.json + checkpoint.bin (head
 * weights, optimiser step), checkpoint-optimizer.json + .bin (Adam's step count and moments at that
 * step, so that a resumed run continues exactly), best.json + best.bin (the best checkpoint by test AP), metrics.jsonl
 * (one line per evaluation) and the feature cache; the `runs` table mirrors status and metrics.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import type { Project } from '../catalog/project';
import type { NamedWeight } from '../detector/head/ssd-head';

export function runDir(project: Project, runId: string): string {
  return path.join(project.dir, 'runs', runId);
}

export function newRunId(level: number | undefined, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${level ? `level${level}` : 'all'}`;
}

/**
 * A new run id whose folder this call created: `newRunId`, or with -2, -3, … when another run (another
 * process, or a second job started in the same second) already has it. mkdir without `recursive` fails
 * on an existing folder, so two callers never get the same id.
 */
export function claimNewRun(project: Project, level: number | undefined, now = new Date()): string {
  const base = newRunId(level, now);
  mkdirSync(path.join(project.dir, 'runs'), { recursive: true });
  for (let n = 1; n < 1000; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    try {
      mkdirSync(runDir(project, id));
      return id;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`run ids ${base}…-999 are all taken in ${path.join(project.dir, 'runs')}`);
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export function writeJson(file: string, value: unknown): void {
  writeAtomic(file, JSON.stringify(value, null, 2));
}

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface WeightsHeader {
  step: number;
  weights: { name: string; shape: number[]; offset: number; length: number }[];
  extra?: Record<string, unknown>;
}

/** Weights as a small JSON header plus one binary blob, both written atomically. */
export function saveWeights(dir: string, name: string, step: number, weights: NamedWeight[], extra?: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  let offset = 0;
  const header: WeightsHeader = { step, weights: [], extra };
  for (const w of weights) {
    header.weights.push({ name: w.name, shape: w.shape, offset, length: w.data.length });
    offset += w.data.length;
  }
  const all = new Float32Array(offset);
  for (const [i, w] of weights.entries()) all.set(w.data, header.weights[i]!.offset);
  writeAtomic(path.join(dir, `${name}.bin`), new Uint8Array(all.buffer));
  writeJson(path.join(dir, `${name}.json`), header);
}

export function loadWeights(dir: string, name: string): { header: WeightsHeader; weights: NamedWeight[] } | undefined {
  const header = readJson<WeightsHeader>(path.join(dir, `${name}.json`));
  if (!header) return undefined;
  const buf = readFileSync(path.join(dir, `${name}.bin`));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { header, weights: header.weights.map((w) => ({ name: w.name, shape: w.shape, data: all.slice(w.offset, w.offset + w.length) })) };
}

export function appendMetrics(dir: string, line: unknown): void {
  appendFileSync(path.join(dir, 'metrics.jsonl'), JSON.stringify(line) + '\n');
}

export function readMetrics<T>(dir: string): T[] {
  const f = path.join(dir, 'metrics.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

export function upsertRun(project: Project, r: { id: string; splitId: number; level: number | null; preset: string; backend: string; config: unknown; fingerprint: string; status: string; metrics?: unknown; finished?: boolean }): void {
  project.db
    .prepare(
      `INSERT INTO runs (id, split_id, level, preset, backend, config, fingerprint, status, metrics, finished_at)
       VALUES (@id, @splitId, @level, @preset, @backend, @config, @fingerprint, @status, @metrics, CASE WHEN @finished THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') END)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, metrics = excluded.metrics, backend = excluded.backend,
         finished_at = excluded.finished_at`,
    )
    .run({ ...r, config: JSON.stringify(r.config), metrics: JSON.stringify(r.metrics ?? {}), finished: r.finished ? 1 : 0 });
}
