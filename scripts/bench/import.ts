/**
 * `npm run bench:import`: a KETI-sized annotation sheet (10,480 rows: 419 words, 105 of them
 * numerals in numeric cells, + 105 sentences, 10 signers, front and side) imported into a fresh
 * catalog, then re-imported, then filtered to front-view words with 4,190 videos to match.
 * Target: < 1 s for the first import. Also shows how much of it is SheetJS reading the file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as XLSX from 'xlsx';
import { initProject } from '../../src-main/services/catalog/project';
import { importKeti } from '../../src-main/services/ingest/keti-import';

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ksl-bench-import-'));
  const aoa: (string | number)[][] = [['번호', '언어 제공자 ID', '취득연도', '방향', '타입(단어/문장)', '파일명', '한국어']];
  const words: (string | number)[] = [];
  for (let i = 0; i < 419; i++) words.push(i < 105 ? 100 + i * 97 : `단어 ${i}`);
  let n = 1;
  const exts = ['MOV', 'MTS', 'MP4', 'mp4'];
  const videos = path.join(tmp, 'videos', '0001~3000');
  mkdirSync(videos, { recursive: true });
  for (const [list, type] of [[words, '단어'], [Array.from({ length: 105 }, (_, i) => `문장 ${i}`), '문장']] as const) {
    for (const word of list)
      for (let s = 1; s <= 10; s++)
        for (const dir of ['정면', '측면']) {
          const num = String(n).padStart(10, '0');
          aoa.push([n, s, 2017, dir, type, `KETI_SL_${num}.${exts[n % 4]}`, word]);
          if (dir === '정면' && type === '단어') writeFileSync(path.join(videos, `KETI_SL_${num}.avi`), '');
          n++;
        }
  }
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(aoa), 'KETI-2017-수어데이터-Annotation-v2-0');
  const file = path.join(tmp, 'KETI.xlsx');
  XLSX.writeFile(wb, file);

  const t = async (fn: () => unknown) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const readOnly = await t(() => XLSX.read(readFileSync(file), { dense: true }));
  const project = initProject(path.join(tmp, 'project'));
  const first = await t(() => importKeti(project, { annotations: file }));
  const again = await t(() => importKeti(project, { annotations: file }));
  const front = await t(() => importKeti(project, { annotations: file, direction: '정면', type: '단어', videos: path.join(tmp, 'videos') }));
  console.log(`SheetJS XLSX.read alone                      ${readOnly.toFixed(0)} ms`);
  console.log(`10,480 rows into an empty catalog            ${first.toFixed(0)} ms   (target < 1000 ms)`);
  console.log(`re-import (no changes)                       ${again.toFixed(0)} ms`);
  console.log(`front-view words + matching 4,190 videos     ${front.toFixed(0)} ms`);
  project.close();
  rmSync(tmp, { recursive: true, force: true });
}
void main();
