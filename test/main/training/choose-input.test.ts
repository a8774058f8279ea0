import { describe, expect, it } from 'vitest';
import { chooseInput } from '../../../src-main/services/training/train-job';

const frames = (w: number, h: number, n = 3) => Array.from({ length: n }, () => ({ width: w, height: h }));

describe('network input of a run', () => {
  it('auto keeps the frames’ aspect ratio at about 640×352 pixels, sides multiples of 32', () => {
    expect(chooseInput('auto', frames(1920, 1080))).toEqual({ width: 640, height: 352 });
    expect(chooseInput('auto', frames(640, 360))).toEqual({ width: 640, height: 352 });
    expect(chooseInput('auto', frames(1280, 960))).toEqual({ width: 544, height: 416 });
    expect(chooseInput('auto', frames(500, 500))).toEqual({ width: 480, height: 480 });
    expect(chooseInput('auto', frames(1080, 1920))).toEqual({ width: 352, height: 640 }); // portrait phone video
  });
  it('auto does not upscale small frames', () => {
    expect(chooseInput('auto', frames(320, 240))).toEqual({ width: 320, height: 256 });
  });
  it('auto follows the median frame, not an odd one out', () => {
    expect(chooseInput('auto', [...frames(1280, 720, 5), ...frames(480, 480, 2)])).toEqual({ width: 640, height: 352 });
  });
  it('takes WxH as given and names what is wrong with a bad one', () => {
    expect(chooseInput('320x320', frames(1920, 1080))).toEqual({ width: 320, height: 320 });
    expect(chooseInput('640x352', [])).toEqual({ width: 640, height: 352 });
    expect(() => chooseInput('500x288', [])).toThrow(/input 500x288: .*width must be a multiple of 32/);
    expect(() => chooseInput('big', [])).toThrow(/'auto' or WxH/);
  });
});
