import { describe, expect, it } from 'vitest';
import { chooseInput } from '../../../src-main/services/training/train-job';

const frames = (w: number, h: number, n = 3) => Array.from({ length: n }, () => ({ width: w, height: h }));

describe('network input of a run', () => {
  it('auto keeps the frames’ aspect ratio at about 384×224 pixels, sides multiples of 32', () => {
    expect(chooseInput('auto', frames(1920, 1080))).toEqual({ width: 384, height: 224 });
    expect(chooseInput('auto', frames(640, 360))).toEqual({ width: 384, height: 224 });
    expect(chooseInput('auto', frames(1280, 960))).toEqual({ width: 352, height: 256 });
    expect(chooseInput('auto', frames(500, 500))).toEqual({ width: 288, height: 288 });
    expect(chooseInput('auto', frames(1080, 1920))).toEqual({ width: 224, height: 384 }); // portrait phone video
  });
  it('auto does not upscale small frames', () => {
    expect(chooseInput('auto', frames(320, 240))).toEqual({ width: 320, height: 256 });
    expect(chooseInput('auto', frames(256, 144))).toEqual({ width: 256, height: 160 });
  });
  it('auto follows the median frame, not an odd one out', () => {
    expect(chooseInput('auto', [...frames(1280, 720, 5), ...frames(480, 480, 2)])).toEqual({ width: 384, height: 224 });
  });
  it('takes WxH as given and names what is wrong with a bad one', () => {
    expect(chooseInput('320x320', frames(1920, 1080))).toEqual({ width: 320, height: 320 });
    expect(chooseInput('640x352', [])).toEqual({ width: 640, height: 352 });
    expect(() => chooseInput('500x288', [])).toThrow(/input 500x288: .*width must be a multiple of 32/);
    expect(() => chooseInput('big', [])).toThrow(/'auto' or WxH/);
  });
});
