/**
 * A small labelled project built the way a user would: `ksl sample` → init → import keti → extract
 * → ground-truth boxes → split by signer, all through the built CLI. Shared by the training tests.
 */
import path from 'node:path';
import { ksl } from './cli';

export function buildSampleProject(root: string, opts: { words?: number; signers?: number; seconds?: number; fps?: number } = {}): string {
  const sample = path.join(root, 'sample');
  const project = path.join(root, 'project');
  const run = (args: string[]) => {
    const r = ksl(args);
    if (r.code !== 0) throw new Error(`ksl ${args.join(' ')} failed: ${r.stderr}`);
    return r;
  };
  const s = run(['sample', '--out', sample, '--words', String(opts.words ?? 2), '--signers', String(opts.signers ?? 3), '--seconds', String(opts.seconds ?? 1), '--json', '--quiet']).json();
  run(['init', project]);
  run(['import', 'keti', project, '--annotations', s.annotations, '--words', s.words, '--labels', s.labels, '--direction', '정면', '--type', '단어', '--videos', s.videosDir, '--quiet']);
  run(['extract', project, '--fps', String(opts.fps ?? 5), '--quiet']);
  run(['import', 'groundtruth', project, path.join(sample, 'ground-truth.json')]);
  run(['split', project, '--by', 'signer', '--test', '0.34', '--seed', '3']);
  return project;
}
