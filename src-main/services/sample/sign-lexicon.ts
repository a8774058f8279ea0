/**
 * The fixed vocabulary of the synthetic sample and how each word is "signed".
 *
 * Words are real, everyday KSL/KETI-style glosses. Two deliberate quirks mirror the real KETI
 * sheets and must survive the importer: numerals (119, 10000) are stored as NUMERIC cells, and
 * some entries contain a space (유치원 버스). All Korean strings are NFC.
 *
 * A sign is described by hand shape, orientation and movement (cf. sign-language phonology). The
 * first 12 words each get a distinct hand shape upright; later words reuse shapes in a different
 * orientation, whose silhouettes still differ (checked by the tests via mask IoU).
 */
import type { HandShapeId } from './hand-shapes';
import { MOTION_PATH_IDS, type MotionPathId } from './motion-paths';

export interface SampleWord {
  /** 한국어 as shown in the sheets (NFC). For numerals, the decimal digits. */
  korean: string;
  /** True for numerals, which the sheets store as numeric cells. */
  numeric: boolean;
  /** ASCII label name for labels.xlsx `index` (safe for model label maps and file names). */
  label: string;
  /** Curriculum level 1–4 for labels.xlsx `레벨`. */
  level: 1 | 2 | 3 | 4;
  shape: HandShapeId;
  /** Base orientation in degrees, clockwise on screen (90 = fingers towards the signer's midline). */
  rotationDeg: number;
  path: MotionPathId;
}

type Entry = [korean: string | number, label: string, level: SampleWord['level'], shape: HandShapeId, rotationDeg: number];

// Order matters: the first `words` entries are used. The first six are the default and have the
// six most different shapes and six different paths.
const ENTRIES: Entry[] = [
  [119, 'w119', 1, 'open', 0],
  ['안녕하세요', 'hello', 1, 'fist', 0],
  ['감사합니다', 'thanks', 1, 'v', 0],
  ['유치원 버스', 'kindergarten_bus', 2, 'point', 0],
  ['병원', 'hospital', 2, 'ok', 0],
  ['경찰', 'police', 3, 'flat-side', 80],
  [10000, 'w10000', 3, 'thumb', 0],
  ['도와주세요', 'help_me', 1, 'y', 0],
  ['아프다', 'sick', 2, 'w', 0],
  ['화장실', 'toilet', 1, 'l', 0],
  ['사랑합니다', 'love', 1, 'claw', 0],
  ['미안합니다', 'sorry', 1, 'pinky', 0],
  ['학교', 'school', 2, 'point', 90],
  ['친구', 'friend', 2, 'v', 90],
  ['가족', 'family', 2, 'thumb', 180],
  ['물', 'water', 1, 'y', 90],
  ['밥', 'rice', 1, 'w', 90],
  ['집', 'home', 1, 'l', 180],
  ['의사', 'doctor', 3, 'pinky', 90],
  ['약국', 'pharmacy', 3, 'open', 90],
  ['소방서', 'fire_station', 3, 'ok', 90],
  ['지하철', 'subway', 3, 'point', 180],
  ['버스 정류장', 'bus_stop', 3, 'v', 180],
  ['택시', 'taxi', 2, 'claw', 180],
  ['전화', 'phone', 2, 'y', 180],
  ['좋다', 'good', 1, 'thumb', 90],
  ['싫다', 'dislike', 2, 'flat-side', 0],
  ['배고프다', 'hungry', 2, 'w', 180],
  ['위험', 'danger', 4, 'pinky', 180],
  ['응급실', 'emergency_room', 4, 'l', 90],
];

export const SAMPLE_WORDS: readonly SampleWord[] = ENTRIES.map(([korean, label, level, shape, rotationDeg], i) => ({
  korean: typeof korean === 'number' ? String(korean) : korean.normalize('NFC'),
  numeric: typeof korean === 'number',
  label,
  level,
  shape,
  rotationDeg,
  path: MOTION_PATH_IDS[i % MOTION_PATH_IDS.length],
}));

export const MAX_SAMPLE_WORDS = SAMPLE_WORDS.length;

/** The value to put in a sheet cell: a number for numerals (the KETI quirk), else the text. */
export function wordCellValue(word: SampleWord): string | number {
  return word.numeric ? Number(word.korean) : word.korean;
}

/** Sentence rows (타입 문장) exist in the sheet only so that importers must filter them out. */
export const SAMPLE_SENTENCES: readonly string[] = [
  '화장실이 어디에 있어요?',
  '병원에 가고 싶어요.',
  '119에 전화해 주세요.',
  '유치원 버스를 기다려요.',
  '도와주셔서 감사합니다.',
].map((s) => s.normalize('NFC'));
