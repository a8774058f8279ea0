import { afterEach, describe, expect, it } from 'vitest';
import { addBox, setFrameStatus, verifyFrame } from '../../../src-main/services/annotate/boxes';
import { qaReport } from '../../../src-main/services/annotate/qa';
import { parseLabelMap } from '../../../src-shared/formats/label-map';
import { useTmpDir } from '../../helpers/tmp';
import { AnnotateFixture } from './fixture';

const tmp = useTmpDir();
const open: AnnotateFixture[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.project.close();
});

/**
 * hello (level 1, label 'hello') by S01 and S02; 감사합니다 (level 1) by S01 only; a 'Hello' word made by a
 * labelImg import (no level); boxes with every kind of mistake.
 */
function messyProject() {
  const f = new AnnotateFixture(tmp());
  open.push(f);
  const db = f.project.db;
  const hello = f.word('안녕하세요', 1, 'hello');
  const thanks = f.word('감사합니다', 1);
  const typo = f.word('Hello', null);
  const a = f.video(hello, 12, { signer: 'S01' });
  const b = f.video(hello, 4, { signer: 'S02' });
  const c = f.video(thanks, 3, { signer: 'S01' });
  for (let i = 0; i < 10; i++) addBox(f.project, a.frames[i]!, { x: 10, y: 10, w: 20, h: 20 });
  for (let i = 0; i < 4; i++) addBox(f.project, b.frames[i]!, { x: 10, y: 10, w: 20, h: 20 });
  const mismatch = addBox(f.project, c.frames[0]!, { x: 10, y: 10, w: 20, h: 20, wordId: typo }); // typo word on a 감사합니다 clip
  addBox(f.project, c.frames[1]!, { x: 10, y: 10, w: 20, h: 20 });
  // Boxes that the services would refuse, as an old catalog or another tool could leave them.
  const ins = db.prepare("INSERT INTO boxes (frame_id, word_id, x, y, w, h, source) VALUES (?, ?, ?, ?, ?, ?, 'model')");
  const degenerate = Number(ins.run(c.frames[1], thanks, 5, 5, 0.5, 10).lastInsertRowid);
  const outside = Number(ins.run(c.frames[1], thanks, 60, 40, 10, 10).lastInsertRowid);
  const noWord = Number(ins.run(c.frames[1], null, 1, 1, 5, 5).lastInsertRowid);
  setFrameStatus(f.project, a.frames[10]!, 'skipped'); // skipped: fine without a box
  // a.frames[11] and c.frames[2] stay unlabelled; b frames all have boxes; a 'verified' frame without boxes:
  const lonely = f.video(thanks, 1, { signer: 'S02' }).frames[0]!;
  verifyFrame(f.project, lonely);
  return { f, hello, thanks, typo, a, b, c, mismatch, degenerate, outside, noWord, lonely };
}

describe('qaReport', () => {
  it('finds each kind of label problem', () => {
    const m = messyProject();
    const r = qaReport(m.f.project);
    expect(r.counts).toEqual({
      'label-not-in-map': 1,
      'no-word': 1,
      'box-word-mismatch': 1,
      'degenerate-box': 1,
      'out-of-bounds': 1,
      'frame-without-box': 3,
      'class-imbalance': 1,
    });
    expect(r.capped).toBe(false);
    const of = (kind: string) => r.findings.filter((x) => x.kind === kind);
    expect(of('label-not-in-map')).toEqual([expect.objectContaining({ wordId: m.typo, name: 'Hello', boxes: 1, suggestion: 'hello' })]);
    expect(of('label-not-in-map')[0]!.message).toMatch(/did you mean "hello"\? names are case-sensitive/);
    expect(of('no-word')).toEqual([expect.objectContaining({ boxId: m.noWord })]);
    expect(of('box-word-mismatch')).toEqual([expect.objectContaining({ boxId: m.mismatch.id, wordId: m.typo, videoWordId: m.thanks })]);
    expect(of('degenerate-box')).toEqual([expect.objectContaining({ boxId: m.degenerate })]);
    expect(of('out-of-bounds')).toEqual([expect.objectContaining({ boxId: m.outside })]);
    expect(of('frame-without-box').map((x) => [x.frameId, x.status])).toEqual([
      [m.a.frames[11], 'unlabelled'],
      [m.c.frames[2], 'unlabelled'],
      [m.lonely, 'verified'],
    ]);
    // 감사합니다 has 3 boxes (one degenerate, one outside) against hello's 14: under 20 %? 3 ≥ 2.8, so no;
    // 'Hello' has 1 box: imbalanced.
    expect(of('class-imbalance')).toEqual([expect.objectContaining({ wordId: m.typo, boxes: 1 })]);
    expect(r.balance).toEqual({
      signers: ['S01', 'S02'],
      words: [
        { wordId: m.hello, name: 'hello', total: 14, perSigner: { S01: 10, S02: 4 } },
        { wordId: m.thanks, name: '감사합니다', total: 3, perSigner: { S01: 3 } },
        { wordId: m.typo, name: 'Hello', total: 1, perSigner: { S01: 1 } },
      ],
    });
  });

  it('checks names against a label map file, case-sensitively', () => {
    const m = messyProject();
    const map = parseLabelMap("item {\n  id: 1\n  name: 'Hello'\n}\nitem {\n  id: 2\n  name: '감사합니다'\n}\n", 'label_map.pbtxt');
    const r = qaReport(m.f.project, { labelMap: map });
    expect(r.labelMap).toEqual({ source: 'file', names: 2 });
    expect(r.findings.filter((x) => x.kind === 'label-not-in-map')).toEqual([expect.objectContaining({ wordId: m.hello, name: 'hello', boxes: 14, suggestion: 'Hello' })]);
  });

  it('narrows to one level and caps the lists but not the counts', () => {
    const m = messyProject();
    const other = m.f.word('병원', 2);
    const v = m.f.video(other, 5);
    const r2 = qaReport(m.f.project, { level: 2, limit: 2 });
    expect(r2.counts['frame-without-box']).toBe(5);
    expect(r2.findings.filter((x) => x.kind === 'frame-without-box').map((x) => x.frameId)).toEqual(v.frames.slice(0, 2));
    expect(r2.capped).toBe(true);
    expect(r2.counts['box-word-mismatch']).toBe(0);
  });

  it('says so when no word has a level yet, instead of flagging every label', () => {
    const f = new AnnotateFixture(tmp());
    open.push(f);
    const w = f.word('병원', null);
    addBox(f.project, f.photo('imports/voc/a.jpg'), { x: 1, y: 1, w: 5, h: 5, wordId: w });
    const r = qaReport(f.project);
    expect(r.counts['label-not-in-map']).toBe(0);
    expect(r.notes[0]).toMatch(/No word has a level yet/);
    expect(r.balance.signers).toEqual(['(none)']);
  });
});
