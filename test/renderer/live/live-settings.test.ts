/** The kiosk's URL hash and the saved settings: what is accepted, what is refused and why. */
import { describe, expect, it } from 'vitest';
import { kioskHash, LIVE_UI_DEFAULTS, parseKioskHash, sanitizeSettings } from '../../../src-renderer/live/live-settings';

describe('kiosk hash', () => {
  it('is not the kiosk unless the hash starts with #kiosk', () => {
    expect(parseKioskHash('')).toBeNull();
    expect(parseKioskHash('#token=abc')).toBeNull();
    expect(parseKioskHash('#kiosks')).toBeNull();
    expect(parseKioskHash('#kiosk')).toEqual({ overrides: {}, back: false, problems: [] });
  });

  it('reads every parameter', () => {
    const r = parseKioskHash('#kiosk?model=run%3A20261125-221500-level1&camera=abc&threshold=0.4&iou=0.5&max=3&k=3&n=5&idle=20&speech=1&back=1&token=t0k')!;
    expect(r.problems).toEqual([]);
    expect(r.back).toBe(true);
    expect(r.overrides).toEqual({ modelId: 'run:20261125-221500-level1', cameraId: 'abc', threshold: 0.4, iou: 0.5, maxDetections: 3, k: 3, n: 5, idleSeconds: 20, speech: true });
    expect(parseKioskHash('#kiosk?model=file:models/tf2onnx/ssd.onnx')!.overrides.modelId).toBe('file:models/tf2onnx/ssd.onnx');
  });

  it('says which value is wrong and keeps the default for it', () => {
    const r = parseKioskHash('#kiosk?threshold=2&k=9&n=4&model=../x')!;
    expect(r.problems.join('\n')).toMatch(/threshold must be within 0–1 \(got 2\)/);
    expect(r.problems.join('\n')).toMatch(/k \(9\) cannot exceed n \(4\)/);
    expect(r.problems.join('\n')).toMatch(/model must look like run:ID/);
    expect(r.overrides.threshold).toBe(LIVE_UI_DEFAULTS.threshold);
    expect(r.overrides.k).toBeLessThanOrEqual(4);
    expect('modelId' in r.overrides).toBe(false);
  });

  it('the Live screen builds a hash the kiosk and the WebSocket client both read', () => {
    expect(kioskHash({ modelId: 'run:R1', cameraId: null })).toBe('#kiosk?model=run%3AR1');
    const withToken = kioskHash({ modelId: 'run:R1', cameraId: null }, '#token=secret_1');
    expect(withToken).toBe('#kiosk?model=run%3AR1&token=secret_1');
    expect(/(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(withToken)?.[1]).toBe('secret_1'); // ws-client's pattern
    const onlyToken = kioskHash({ modelId: null, cameraId: null }, '#token=secret_1');
    expect(/(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(onlyToken)?.[1]).toBe('secret_1');
    expect(parseKioskHash(onlyToken)).toEqual({ overrides: {}, back: false, problems: [] });
    expect(parseKioskHash(kioskHash({ modelId: 'run:R1', cameraId: 'cam 1' }))!.overrides).toEqual({ modelId: 'run:R1', cameraId: 'cam 1' });
    expect(parseKioskHash(kioskHash({ modelId: 'run:R1', cameraId: null }))!.back).toBe(false);
    expect(parseKioskHash(kioskHash({ modelId: 'run:R1', cameraId: null }, '', { back: true }))!.back).toBe(true);
  });

  it('saved settings are sanitised like the hash', () => {
    expect(sanitizeSettings({ threshold: 0.3, speech: true, modelId: 'run:x' })).toEqual({ ...LIVE_UI_DEFAULTS, threshold: 0.3, speech: true, modelId: 'run:x' });
    expect(sanitizeSettings({ maxDetections: 0 }).maxDetections).toBe(LIVE_UI_DEFAULTS.maxDetections);
  });
});
