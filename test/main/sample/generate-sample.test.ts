import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as XLSX from 'xlsx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample, type SampleOptions, type SampleResult } from '../../../src-main/services/sample/generate-sample';
import { readGroundTruth, type GroundTruth } from '../../../src-main/services/sample/ground-truth';
import { ANNOTATION_HEADERS, ANNOTATION_SHEET_NAME } from '../../../src-main/services/sample/sample-sheet';
import { SAMPLE_WORDS } from '../../../src-main/services/sample/sign-lexicon';
import { createSignerProfile, createSignerScene } from '../../../src-main/services/sample/synthetic-signer';

// Tiny but complete: 4 words (includes the numeral 119 and the spaced 유치원 버스) × 2 signers.
const TINY: Omit<SampleOptions, 'out'> = { words: 4, signers: 2, seconds: 1, width: 160, height: 120, fps: 30 };

const root = mkdtempSync(path.join(os.tmpdir(), 'ksl-sample-'));
let a: SampleResult;
let gtA: GroundTruth;
const progress: [number, number, string][] = [];

function workbook(file: string): XLSX.WorkBook {
  return XLSX.read(readFileSync(file));
}

function sheetValues(file: string): unknown[][] {
  const wb = workbook(file);
  return wb.SheetNames.flatMap((n) => XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets[n], { header: 1, raw: true }));
}

/** Data rows of the annotation sheet, keyed by header name (the way importers read it). */
function annotationRows(file: string): Record<string, unknown>[] {
  const wb = workbook(file);
  return XLSX.utils.sheet_to_json<Record<string, unknown>>(wb.Sheets[ANNOTATION_SHEET_NAME], { raw: true });
}

beforeAll(async () => {
  a = await generateSample({ ...TINY, out: path.join(root, 'a'), seed: 1, onProgress: (d, t, m) => progress.push([d, t, m]) });
  gtA = readGroundTruth(a.groundTruth);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generateSample output', () => {
  it('returns the files it wrote and reports progress to completion', () => {
    expect(a.videos).toBe(8);
    expect(a.signers).toBe(2);
    expect(a.wordList).toEqual(['119', '안녕하세요', '감사합니다', '유치원 버스']);
    for (const f of [a.annotations, a.words, a.labels, a.videosDir, a.groundTruth, path.join(a.out, 'README.md')]) {
      expect(existsSync(f), f).toBe(true);
    }
    expect(path.basename(a.annotations)).toBe('KETI-annotations.xlsx');
    expect(progress[0][0]).toBe(0);
    expect(progress.at(-1)).toEqual([9, 9, expect.any(String)]);
    expect(progress.map((p) => p[0])).toEqual([...progress.map((p) => p[0])].sort((x, y) => x - y));
  });

  it('writes the KETI annotation sheet with its exact name, headers and quirks', () => {
    const wb = workbook(a.annotations);
    expect(wb.SheetNames).toEqual([ANNOTATION_SHEET_NAME]);
    expect(ANNOTATION_SHEET_NAME).toBe('KETI-2017-수어데이터-Annotation-v2-0');
    const ws = wb.Sheets[ANNOTATION_SHEET_NAME];
    const header = 'ABCDEFG'.split('').map((c) => ws[`${c}1`]?.v);
    expect(header).toEqual(['번호', '언어 제공자 ID', '취득연도', '방향', '타입(단어/문장)', '파일명', '한국어']);
    expect(header.every((h) => h === String(h).normalize('NFC'))).toBe(true);
    expect(ANNOTATION_HEADERS).toEqual(header);
    // No header over the stray cells, but stray cells exist on some rows.
    expect(ws.H1).toBeUndefined();
    expect(ws.I1).toBeUndefined();
    const range = XLSX.utils.decode_range(ws['!ref']!);
    let stray = 0;
    for (let r = 1; r <= range.e.r; r++) if (ws[`H${r + 1}`] || ws[`I${r + 1}`]) stray++;
    expect(stray).toBeGreaterThan(0);
    expect(stray).toBeLessThan(range.e.r / 2);

    const rows = annotationRows(a.annotations);
    const front = rows.filter((r) => r['방향'] === '정면' && r['타입(단어/문장)'] === '단어');
    expect(front).toHaveLength(8);
    expect(rows.some((r) => r['방향'] === '측면')).toBe(true);
    expect(rows.some((r) => r['타입(단어/문장)'] === '문장')).toBe(true);
    const numbers = rows.map((r) => r['번호'] as number);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(numbers.some((n) => n >= 10000)).toBe(true);
    for (const r of rows) {
      expect(typeof r['언어 제공자 ID']).toBe('number');
      expect([2017, 2018]).toContain(r['취득연도']);
      expect(r['파일명']).toMatch(/^KETI_SL_\d{10}\.(MOV|MTS|MP4|mp4)$/);
      expect(String(r['파일명']).slice(8, 18)).toBe(String(r['번호']).padStart(10, '0'));
    }
  });

  it('stores the numeral as a numeric cell and keeps the spaced word, NFC', () => {
    const ws = workbook(a.annotations).Sheets[ANNOTATION_SHEET_NAME];
    const range = XLSX.utils.decode_range(ws['!ref']!);
    const korean = Array.from({ length: range.e.r }, (_, i) => ws[`G${i + 2}`]).filter(Boolean) as XLSX.CellObject[];
    const numeral = korean.find((c) => c.v === 119);
    expect(numeral?.t).toBe('n');
    const spaced = korean.find((c) => c.v === '유치원 버스');
    expect(spaced?.t).toBe('s');
    for (const c of korean) if (typeof c.v === 'string') expect(c.v).toBe(c.v.normalize('NFC'));

    const selected = workbook(a.words);
    const sw = selected.Sheets[selected.SheetNames[0]];
    expect(sw.A1.v).toBe('단어');
    expect(sw.A2).toMatchObject({ t: 'n', v: 119 });
    expect(XLSX.utils.sheet_to_json<Record<string, unknown>>(sw).map((r) => r['단어'])).toEqual([119, '안녕하세요', '감사합니다', '유치원 버스']);

    const labels = workbook(a.labels);
    const rows = XLSX.utils.sheet_to_json<Record<string, unknown>>(labels.Sheets[labels.SheetNames[0]]);
    expect(Object.keys(rows[0])).toEqual(['한국어', 'index', '레벨']);
    expect(rows.map((r) => r['한국어'])).toEqual([119, '안녕하세요', '감사합니다', '유치원 버스']);
    for (const r of rows) expect(r.index).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(new Set(rows.map((r) => r.index)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r['레벨'])).size).toBeGreaterThanOrEqual(2);
  });

  it('delivers every video in KETI range folders, with a container other than the one in 파일명', () => {
    const rows = annotationRows(a.annotations);
    const byStem = new Map(rows.map((r) => [String(r['파일명']).replace(/\.[^.]+$/, ''), r]));
    const folders = readdirSync(a.videosDir).sort();
    expect(folders).toEqual(['0001~3000', '9001~12000']);
    const delivered = new Set<string>();
    for (const v of gtA.videos) {
      const m = /^videos\/(\d{4,}~\d+)\/(KETI_SL_\d{10})\.(mp4|avi|mov|mkv)$/.exec(v.file);
      expect(m, v.file).not.toBeNull();
      const row = byStem.get(m![2])!;
      expect(row, v.file).toBeDefined();
      expect(row['방향']).toBe('정면');
      expect(row['언어 제공자 ID']).toBe(v.signer);
      expect(String(row['한국어'])).toBe(v.word);
      expect(String(row['파일명']).split('.').pop()!.toLowerCase()).not.toBe(m![3]);
      delivered.add(m![3]);
    }
    expect(delivered.size).toBeGreaterThanOrEqual(3);
    // Side-view and sentence rows have no file.
    const files = new Set(gtA.videos.map((v) => path.basename(v.file).replace(/\.[^.]+$/, '')));
    for (const r of rows.filter((r) => r['방향'] === '측면' || r['타입(단어/문장)'] === '문장')) {
      expect(files.has(String(r['파일명']).replace(/\.[^.]+$/, ''))).toBe(false);
    }
  });

  it('encodes videos that ffprobe decodes with the expected size, frame count and frame times', () => {
    for (const v of gtA.videos) {
      const probe = JSON.parse(
        execFileSync(
          'ffprobe',
          ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,pix_fmt:frame=pts_time', '-of', 'json', path.join(a.out, v.file)],
          { encoding: 'utf8' },
        ),
      ) as { streams: { codec_name: string; width: number; height: number; pix_fmt: string }[]; frames: { pts_time: string }[] };
      const stream = probe.streams[0];
      expect(stream.codec_name).toBe(v.file.endsWith('.avi') ? 'mpeg4' : 'h264');
      expect([stream.width, stream.height, stream.pix_fmt]).toEqual([160, 120, 'yuv420p']);
      expect(v.frames).toBe(30);
      expect(probe.frames).toHaveLength(v.frames);
      probe.frames.forEach((f, i) => expect(Math.abs(Number(f.pts_time) - v.boxes[i].t), `${v.file} frame ${i}`).toBeLessThan(0.002));
    }
  });

  it('has one ground-truth box per frame, inside the frame, equal to the drawn hand', () => {
    expect(gtA.width).toBe(160);
    expect(gtA.height).toBe(120);
    expect(gtA.videos).toHaveLength(8);
    for (const v of gtA.videos) {
      expect(v.boxes).toHaveLength(v.frames);
      v.boxes.forEach((b, i) => {
        expect(b.t).toBeCloseTo(i / 30, 6);
        expect(b.x).toBeGreaterThanOrEqual(0);
        expect(b.y).toBeGreaterThanOrEqual(0);
        expect(b.x + b.w).toBeLessThanOrEqual(160);
        expect(b.y + b.h).toBeLessThanOrEqual(120);
        expect(b.w * b.h).toBeGreaterThan(30);
      });
    }
    // The boxes are what the renderer drew for that clip.
    const v = gtA.videos[5];
    const scene = createSignerScene({
      width: 160,
      height: 120,
      fps: 30,
      seed: 1,
      videoNumber: v.number,
      signer: createSignerProfile(1, v.signer),
      word: SAMPLE_WORDS.find((w) => w.korean === v.word)!,
    });
    for (const i of [0, 13, 29]) expect(scene.renderFrame(i).box).toEqual({ x: v.boxes[i].x, y: v.boxes[i].y, w: v.boxes[i].w, h: v.boxes[i].h });
  });

  it('puts the hand where the box says in the decoded video', () => {
    // Decode frame 10 of the first clip and check the box region differs from the clip's first
    // frame where the hand has moved away, i.e. the box really frames moving content.
    const v = gtA.videos[0];
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path.join(a.out, v.file), '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], {
      maxBuffer: 64 << 20,
    });
    const frame = (i: number) => raw.subarray(i * 160 * 120, (i + 1) * 160 * 120);
    const meanDiffIn = (i: number, j: number, b: { x: number; y: number; w: number; h: number }) => {
      let sum = 0;
      for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) sum += Math.abs(frame(i)[y * 160 + x] - frame(j)[y * 160 + x]);
      return sum / (b.w * b.h);
    };
    // Find two frames whose boxes do not overlap; the hand region must change, the far corner not.
    const boxes = v.boxes;
    let pair: [number, number] | undefined;
    for (let i = 0; i < boxes.length && !pair; i++)
      for (let j = i + 1; j < boxes.length && !pair; j++)
        if (boxes[i].x + boxes[i].w <= boxes[j].x || boxes[j].x + boxes[j].w <= boxes[i].x || boxes[i].y + boxes[i].h <= boxes[j].y || boxes[j].y + boxes[j].h <= boxes[i].y)
          pair = [i, j];
    expect(pair).toBeDefined();
    const [i, j] = pair!;
    expect(meanDiffIn(i, j, boxes[i])).toBeGreaterThan(10);
    expect(meanDiffIn(i, j, { x: 0, y: 0, w: 16, h: 12 })).toBeLessThan(4);
  });

  it('explains itself in README.md', () => {
    const readme = readFileSync(path.join(a.out, 'README.md'), 'utf8');
    for (const s of ['KETI-annotations.xlsx', 'selected_words.xlsx', 'labels.xlsx', 'ground-truth.json', '9001~12000', '유치원 버스']) expect(readme).toContain(s);
  });
});

describe('generateSample determinism and options', () => {
  it('is deterministic for a seed and differs for another seed', async () => {
    // Both at once: encoding is mostly ffmpeg start-up latency at this size.
    const [b, c] = await Promise.all([
      generateSample({ ...TINY, out: path.join(root, 'b'), seed: 1 }),
      generateSample({ ...TINY, out: path.join(root, 'c'), seed: 2 }),
    ]);
    expect(readGroundTruth(b.groundTruth)).toEqual(gtA);
    for (const [x, y] of [
      [a.annotations, b.annotations],
      [a.words, b.words],
      [a.labels, b.labels],
    ]) {
      expect(sheetValues(y)).toEqual(sheetValues(x));
    }
    const gtC = readGroundTruth(c.groundTruth);
    expect(gtC.videos.map((v) => v.file)).toEqual(gtA.videos.map((v) => v.file));
    expect(gtC.videos.map((v) => v.boxes)).not.toEqual(gtA.videos.map((v) => v.boxes));
  });

  it('replaces a previous sample but refuses a foreign non-empty folder', async () => {
    const out = path.join(root, 'again');
    await generateSample({ ...TINY, words: 1, out, seed: 3 });
    expect(readdirSync(path.join(out, 'videos'))).toEqual(['0001~3000', '9001~12000']);
    const second = await generateSample({ words: 1, signers: 1, seconds: 0.2, width: 96, height: 64, out, seed: 4 });
    expect(readGroundTruth(second.groundTruth).videos).toHaveLength(1);
    expect(readdirSync(path.join(out, 'videos'))).toEqual(['0001~3000']);
    expect(readdirSync(path.join(out, 'videos', '0001~3000'))).toHaveLength(1);

    const foreign = path.join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'thesis.docx'), 'mine');
    await expect(generateSample({ ...TINY, out: foreign })).rejects.toThrow(/is not empty/);
    expect(readdirSync(foreign)).toEqual(['thesis.docx']);
  });

  it('rejects bad options with clear messages', async () => {
    const out = path.join(root, 'bad');
    await expect(generateSample({ out, words: 31 })).rejects.toThrow(/words must be an integer from 1 to 30/);
    await expect(generateSample({ out, width: 161 })).rejects.toThrow(/must be even/);
    await expect(generateSample({ out, fps: 0 })).rejects.toThrow(/fps/);
    expect(existsSync(out)).toBe(false);
  });

  it('stops when aborted, removing the partial video', async () => {
    const controller = new AbortController();
    const out = path.join(root, 'aborted');
    await expect(
      generateSample({
        ...TINY,
        out,
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 1) controller.abort();
        },
      }),
    ).rejects.toThrow(/abort/i);
    expect(existsSync(path.join(out, 'ground-truth.json'))).toBe(false);
    // Right after the rejection: the encoders are gone and every file left is a complete video.
    const dir = path.join(out, 'videos');
    const videos = readdirSync(dir).flatMap((f) => readdirSync(path.join(dir, f)).map((n) => path.join(dir, f, n)));
    expect(videos.length).toBeGreaterThanOrEqual(1);
    expect(videos.length).toBeLessThan(8);
    for (const file of videos) {
      const frames = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], {
        encoding: 'utf8',
      });
      expect(Number(frames.trim()), file).toBe(30);
    }
  });

  it('does nothing when aborted before it starts, and names a missing ffmpeg', async () => {
    const out = path.join(root, 'never');
    await expect(generateSample({ ...TINY, out, signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    expect(existsSync(out)).toBe(false);
    await expect(generateSample({ ...TINY, out: path.join(root, 'noffmpeg'), ffmpeg: path.join(root, 'no-such-ffmpeg') })).rejects.toThrow(
      /ffmpeg not found at/,
    );
  });
});
