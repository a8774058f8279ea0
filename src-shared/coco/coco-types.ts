/**
 * COCO data shapes as the evaluator consumes them. They mirror the JSON files that pycocotools
 * reads (instances_*.json for ground truth, a bare array of results for detections) so that a
 * file which pycocotools accepts can be passed through `validateCocoGt` / `validateCocoDt` as is.
 */

export type CocoBox = [number, number, number, number];

export interface CocoImage {
  id: number;
  width?: number;
  height?: number;
  file_name?: string;
}

export interface CocoGtAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** [x, y, width, height] in pixels, as COCO stores it. */
  bbox: CocoBox;
  /**
   * The area used for the small/medium/large split. pycocotools uses this field, not the bbox
   * (for COCO itself it is the segmentation area), so it must be carried through unchanged.
   */
  area: number;
  iscrowd?: number;
  /**
   * Accepted for compatibility, but it has no effect: pycocotools overwrites it with `iscrowd`
   * (cocoapi issues #123/#466), and matching pycocotools is the point of this module.
   */
  ignore?: number;
}

export interface CocoCategory {
  id: number;
  name: string;
}

export interface CocoGt {
  images: CocoImage[];
  annotations: CocoGtAnnotation[];
  categories: CocoCategory[];
}

export interface CocoDt {
  image_id: number;
  category_id: number;
  bbox: CocoBox;
  score: number;
  /** Ignored: pycocotools' loadRes recomputes it as width*height. */
  area?: number;
  /** Ignored: pycocotools' loadRes renumbers detections 1..n in file order. */
  id?: number;
}

export interface CocoStats {
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

/** The order of `COCOeval.stats` in pycocotools, so `statsArray[i]` lines up with it. */
export const COCO_STAT_KEYS: readonly (keyof CocoStats)[] = [
  'AP',
  'AP50',
  'AP75',
  'APs',
  'APm',
  'APl',
  'AR1',
  'AR10',
  'AR100',
  'ARs',
  'ARm',
  'ARl',
];

export interface CocoCategoryResult {
  id: number;
  name: string;
  /** Mean precision over IoU .50:.95, area all, maxDets = largest; -1 when the category has no gt. */
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  /** Mean recall over IoU .50:.95, area all, at maxDets[0] / [1] / [2] (1, 10, 100 by default). */
  AR1: number;
  AR10: number;
  AR100: number;
  /** Non-crowd ground-truth boxes of this category in the evaluated images (the recall denominator). */
  gt: number;
  /** Crowd ground-truth regions of this category in the evaluated images (neither tp nor fp). */
  crowd: number;
  /** Detections of this category on the evaluated images, before the per-image maxDets cut. */
  dt: number;
  /** Precision at the 101 recall thresholds, IoU .50, area all, largest maxDets (all -1 without gt). */
  pr50: number[];
  /** Same at IoU .75. */
  pr75: number[];
}

export interface CocoEvalParams {
  imgIds: number[];
  /** With useCats false this is still the category list used for pooling; K is then 1. */
  catIds: number[];
  iouThrs: number[];
  recThrs: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
  maxDets: number[];
  useCats: boolean;
}

export interface CocoEvalResult {
  stats: CocoStats;
  /** The same 12 numbers in pycocotools' `stats` order (see COCO_STAT_KEYS). */
  statsArray: number[];
  perCategory: CocoCategoryResult[];
  params: CocoEvalParams;
  /** [T, R, K, A, M] as in pycocotools' `eval['counts']`. */
  counts: [number, number, number, number, number];
  /** pycocotools `eval['precision']`, C order [T][R][K][A][M]; -1 where there is no gt. */
  precision: Float64Array;
  /** pycocotools `eval['recall']`, C order [T][K][A][M]; -1 where there is no gt. */
  recall: Float64Array;
  /** pycocotools `eval['scores']`: the detection score reached at each recall threshold. */
  scores: Float64Array;
  /** Things pycocotools silently skips (unknown image/category references), worth telling the user. */
  warnings: string[];
}

export interface CocoEvalOptions {
  /** Images to evaluate; default all gt images. Sorted and de-duplicated like pycocotools. */
  imgIds?: number[];
  /** Categories to evaluate; default all gt categories. */
  catIds?: number[];
  /** Default [1, 10, 100]; sorted ascending like pycocotools. */
  maxDets?: [number, number, number];
  /** Default true; false pools all categories into one, as pycocotools' useCats=0. */
  useCats?: boolean;
  /**
   * pycocotools' loadRes refuses detections on images absent from the ground truth. By default
   * this throws too; set true to drop them with a warning instead.
   */
  allowUnknownImages?: boolean;
}
