import { afterEach, describe, expect, it } from 'vitest';
import { addBox, frameWithNeighbours, neighbourQueries } from '../../../src-main/services/annotate/boxes';
import { useTmpDir } from '../../helpers/tmp';
import { AnnotateFixture } from './fixture';

const tmp = useTmpDir();
const open: AnnotateFixture[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.project.close();
});

describe('frameWithNeighbours', () => {
  it('walks photos, then each video in time order, across video boundaries', () => {
    const f = new AnnotateFixture(tmp());
    open.push(f);
    const w = f.word('병원');
    const v1 = f.video(w, 3);
    const p1 = f.photo('imports/voc/a.jpg');
    const v2 = f.video(w, 2);
    const p2 = f.photo('imports/voc/b.jpg');
    addBox(f.project, v1.frames[1]!, { x: 1, y: 1, w: 10, h: 10 });
    const order = [p1, p2, ...v1.frames, ...v2.frames];
    order.forEach((id, i) => {
      const r = frameWithNeighbours(f.project, id);
      expect([r.prevId, r.nextId], `frame ${id}`).toEqual([order[i - 1] ?? null, order[i + 1] ?? null]);
    });
    const mid = frameWithNeighbours(f.project, v1.frames[1]!);
    expect(mid.frame).toMatchObject({ id: v1.frames[1], videoId: v1.videoId, t: 0.2, status: 'labelled', videoWordId: w });
    expect(mid.boxes).toHaveLength(1);
    expect(mid.position).toEqual({ index: 2, count: 3 });
    expect(frameWithNeighbours(f.project, p1).position).toBeNull();
  });

  it('uses the (video_id, t) index for every neighbour query, and stays fast on 100,000 frames', () => {
    const f = new AnnotateFixture(tmp());
    open.push(f);
    const db = f.project.db;
    const w = f.word('병원');
    // 1,000 videos × 100 frames, inserted in one transaction (a few hundred ms).
    db.transaction(() => {
      const v = db.prepare("INSERT INTO videos (word_id, path, status) VALUES (?, ?, 'extracted')");
      const fr = db.prepare('INSERT INTO frames (video_id, t, file, width, height) VALUES (?, ?, ?, 64, 48)');
      for (let i = 0; i < 1000; i++) {
        const vid = Number(v.run(w, `videos/${i}.mp4`).lastInsertRowid);
        for (let k = 0; k < 100; k++) fr.run(vid, k / 10, `frames/${vid}/${k}.jpg`);
      }
      for (let k = 0; k < 50; k++) db.prepare('INSERT INTO frames (video_id, t, file, width, height) VALUES (NULL, NULL, ?, 64, 48)').run(`imports/voc/${k}.jpg`);
    })();
    db.exec('ANALYZE');

    for (const [name, sql] of Object.entries(neighbourQueries())) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(sql.split('?').length - 1).fill(1)) as { detail: string }[]).map((r) => r.detail).join(' | ');
      // frames_video(video_id, t), or the identical index SQLite made for UNIQUE (video_id, t): either is a seek.
      expect(plan, name).toMatch(/SEARCH frames USING (COVERING )?INDEX (frames_video|sqlite_autoindex_frames_\d+) \(video_id/);
      expect(plan, name).not.toMatch(/SCAN|TEMP B-TREE/);
    }

    const ids = db.prepare('SELECT id FROM frames WHERE video_id IS NOT NULL ORDER BY random() LIMIT 500').pluck().all() as number[];
    const t0 = performance.now();
    for (const id of ids) frameWithNeighbours(f.project, id);
    const perCall = (performance.now() - t0) / ids.length;
    // An index seek is microseconds; a scan of 100,000 rows would be milliseconds per call.
    expect(perCall).toBeLessThan(2);

    const last = db.prepare('SELECT max(id) FROM frames WHERE video_id IS NOT NULL').pluck().get() as number;
    expect(frameWithNeighbours(f.project, last).nextId).toBeNull();
    const firstVideoFrame = db.prepare('SELECT id FROM frames WHERE video_id IS NOT NULL ORDER BY video_id, t LIMIT 1').pluck().get() as number;
    const lastPhoto = db.prepare('SELECT max(id) FROM frames WHERE video_id IS NULL').pluck().get() as number;
    expect(frameWithNeighbours(f.project, firstVideoFrame).prevId).toBe(lastPhoto);
  });
});
