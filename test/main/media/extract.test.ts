import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initProject, openProject, type Project } from '../../../src-main/services/catalog/project';
import { importVideos } from '../../../src-main/services/ingest/import-videos';
import { extractJob, type ExtractResult } from '../../../src-main/services/media/extract-job';
import { JobManager } from '../../../src-main/services/jobs/job-manager';
import { probeVideo } from '../../../src-main/services/media/probe';
import { ExtractParams } from '../../../src-shared/api';
import { fixture, repoRoot } from '../../helpers/fixtures';
import { useTmpDir } from '../../helpers/tmp';
import { makeClip } from '../../helpers/video';

const signer = fixture('video/signer-540x720.mp4');

async function extract(p: Project, params: Partial<ExtractParams>) {
  const m = new JobManager(p, { extract: extractJob }, { emit: () => {} });
  const id = m.start('extract', ExtractParams.parse(params));
  const end = await m.wait(id);
  if (end.outcome !== 'ok') throw new Error(`extract ${end.outcome}: ${end.error?.message}`);
  return end.result as ExtractResult;
}

function ffprobeTimes(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().replace(/,$/, '')).filter(Boolean).map(Number).sort((a, b) => a - b);
}

function projectWithClips(dir: string, clips: Record<string, string>): Project {
  const p = initProject(dir);
  const src = path.join(dir, 'imports', 'clips');
  mkdirSync(src, { recursive: true });
  for (const [name, from] of Object.entries(clips)) copyFileSync(from, path.join(src, name));
  importVideos(p, src, 'name');
  return p;
}

describe('frame extraction with real ffmpeg', () => {
  const tmp = useTmpDir();

  it.skipIf(!signer)('--all gives exactly the 58 frames of the 359/12 fps fixture, at ffprobe\'s times', async () => {
    const p = projectWithClips(tmp(), { '안녕하세요_01.mp4': signer! });
    const r = await extract(p, { mode: 'all', maxSide: null, format: 'jpg' });
    expect(r).toMatchObject({ videos: { done: 1, failed: 0 }, frames: 58 });
    const rows = p.db.prepare('SELECT t, file, width, height FROM frames ORDER BY t').all() as { t: number; file: string; width: number; height: number }[];
    expect(rows).toHaveLength(58);
    const expected = ffprobeTimes(signer!);
    expect(expected).toHaveLength(58);
    rows.forEach((r, i) => expect(Math.abs(r.t - expected[i]!)).toBeLessThan(1e-4));
    expect(rows.every((r) => r.width === 540 && r.height === 720)).toBe(true);
    expect(rows.every((r) => existsSync(path.join(p.dir, r.file)))).toBe(true);
    const v = p.db.prepare('SELECT fps_num, fps_den, width, height, duration, status FROM videos').get();
    expect(v).toMatchObject({ fps_num: 359, fps_den: 12, width: 540, height: 720, status: 'extracted' });
    p.close();
  });

  it.skipIf(!signer)('--fps 5 gives the count its duration implies, from real frame times, shrunk to --max-side', async () => {
    const p = projectWithClips(tmp(), { 'clip.mp4': signer! });
    const probe = await probeVideo(signer!);
    const r = await extract(p, { mode: 'fps', fps: 5, maxSide: 320 });
    expect(r.frames).toBe(Math.ceil(probe.duration * 5)); // 1.9387 s → 10
    const rows = p.db.prepare('SELECT t, width, height FROM frames ORDER BY t').all() as { t: number; width: number; height: number }[];
    const real = new Set(ffprobeTimes(signer!).map((t) => t.toFixed(4)));
    for (const [i, row] of rows.entries()) {
      expect(real.has(row.t.toFixed(4))).toBe(true); // a real frame, not a synthesised one
      expect(Math.floor(row.t * 5)).toBe(i); // the first frame of each 0.2 s bucket
      expect(Math.max(row.width, row.height)).toBe(320);
    }
    p.close();
  });

  it('a file that is not a video fails alone, with ffmpeg\'s reason; the others are extracted', async () => {
    const dir = tmp();
    const good = makeClip(path.join(dir, 'good.mp4'), { seconds: 1 });
    const bad = path.join(dir, 'broken.mp4');
    writeFileSync(bad, 'this is not a video at all');
    const p = projectWithClips(path.join(dir, 'proj'), { '병원_1.mp4': good, '경찰_1.mp4': bad });
    const r = await extract(p, { mode: 'fps', fps: 5 });
    expect(r.videos).toMatchObject({ done: 1, failed: 1 });
    expect(r.failures[0]!.error).toMatch(/broken|경찰_1\.mp4.*(Invalid data|not a readable video)/);
    const statuses = p.db.prepare('SELECT source_name, status, error FROM videos ORDER BY source_name').all() as { source_name: string; status: string; error: string }[];
    expect(statuses.find((s) => s.source_name === '경찰_1.mp4')).toMatchObject({ status: 'failed' });
    expect(statuses.find((s) => s.source_name === '병원_1.mp4')).toMatchObject({ status: 'extracted', error: null });
    p.close();
  });

  it('SIGKILL mid-way, run again: no duplicate frame, no gap', async () => {
    const dir = tmp();
    const clips: Record<string, string> = {};
    for (let i = 0; i < 6; i++) clips[`word${i}_1.mp4`] = makeClip(path.join(dir, `c${i}.mp4`), { seconds: 4, size: '640x360', rate: 30 });
    const p = projectWithClips(path.join(dir, 'proj'), clips);
    const projDir = p.dir;
    p.close();
    const cli = path.join(repoRoot, 'bin', 'ksl.cjs');
    // --all at full size as PNG is slow enough to be killed part-way through
    const child = spawn(process.execPath, [cli, 'extract', projDir, '--all', '--format', 'png', '--max-side', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const db = openProject(projDir);
        const n = db.db.prepare("SELECT COUNT(*) FROM videos WHERE status = 'extracted'").pluck().get() as number;
        db.close();
        if (n >= 1) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 50);
    });
    await new Promise((r) => child.once('close', r));
    const mid = openProject(projDir);
    const doneBefore = mid.db.prepare("SELECT COUNT(*) FROM videos WHERE status = 'extracted'").pluck().get() as number;
    expect(doneBefore).toBeGreaterThanOrEqual(1);
    expect(doneBefore).toBeLessThan(6);
    const { JobManager: JM } = await import('../../../src-main/services/jobs/job-manager');
    expect(new JM(mid, {}, { emit: () => {} }).list()[0]).toMatchObject({ kind: 'extract', state: 'interrupted' });
    mid.close();

    const again = openProject(projDir);
    const r = await extract(again, { mode: 'all', format: 'png', maxSide: null });
    expect(r.videos.skipped).toBe(doneBefore);
    const perVideo = again.db.prepare('SELECT video_id, COUNT(*) n, COUNT(DISTINCT t) d FROM frames GROUP BY video_id').all() as { n: number; d: number }[];
    expect(perVideo).toHaveLength(6);
    for (const v of perVideo) {
      expect(v.n).toBe(120); // 4 s × 30 fps: nothing missing
      expect(v.d).toBe(v.n); // nothing twice
    }
    // on disk: exactly the registered files, no partial leftovers
    const files = readdirSync(path.join(projDir, 'frames'), { recursive: true }).filter((f) => String(f).endsWith('.png'));
    expect(files).toHaveLength(720);
    expect(existsSync(path.join(projDir, 'frames', '.partial'))).toBe(false);
    again.close();
  }, 120_000);
});
