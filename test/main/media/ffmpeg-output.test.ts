import { describe, expect, it } from 'vitest';
import { ffmpegReason, parseShowinfoLine, ProgressParser } from '../../../src-main/services/media/ffmpeg-output';
import { buildFilter } from '../../../src-main/services/media/extract-frames';
import { expectedFrames } from '../../../src-main/services/media/extract-job';

// Captured from ffmpeg 5.1 (Debian 12) extracting ../shared/fixtures/video/signer-540x720.mp4.
const PROGRESS = `frame=1
fps=0.00
stream_0_0_q=-0.0
bitrate=N/A
total_size=N/A
out_time_us=33426
out_time_ms=33426
out_time=00:00:00.033426
dup_frames=0
drop_frames=0
speed= 2.3x
progress=continue
frame=10
fps=0.00
out_time_us=1838219
out_time_ms=1838219
out_time=00:00:01.838219
speed=3.71x
progress=end
`;
const SHOWINFO =
  '[Parsed_showinfo_1 @ 0x55dbe3d92b00] n:   3 pts:   1152 pts_time:0.100279 pos:    38191 fmt:yuvj420p sar:0/1 s:540x720 i:P iskey:0 type:B checksum:1EC6B4F6 plane_checksum:[0AD7AABE DFAC87D9 B4F38250] mean:[136 121 142] stdev:[50.5 17.0 11.0]';

describe('ffmpeg output parsers', () => {
  it('parses -progress blocks, also when split across chunks', () => {
    const whole = new ProgressParser().push(PROGRESS);
    expect(whole).toEqual([
      { frame: 1, outTimeSeconds: 0.033426, speed: 2.3, end: false },
      { frame: 10, outTimeSeconds: 1.838219, speed: 3.71, end: true },
    ]);
    const p = new ProgressParser();
    const pieces = [];
    for (let i = 0; i < PROGRESS.length; i += 7) pieces.push(...p.push(PROGRESS.slice(i, i + 7)));
    expect(pieces).toEqual(whole);
  });

  it('reads frame number, exact time and size from showinfo lines, and ignores others', () => {
    expect(parseShowinfoLine(SHOWINFO)).toEqual({ n: 3, ptsTime: 0.100279, width: 540, height: 720 });
    expect(parseShowinfoLine('[Parsed_showinfo_1 @ 0x5] config in time_base: 1/11488, frame_rate: 359/12')).toBeUndefined();
    expect(parseShowinfoLine('frame=10')).toBeUndefined();
  });

  it('picks the line that explains a failure', () => {
    const stderr = 'ffmpeg version 5.1\n  built with gcc\n[mov,mp4 @ 0x1] moov atom not found\n/tmp/x.mp4: Invalid data found when processing input\n';
    expect(ffmpegReason(stderr)).toBe('/tmp/x.mp4: Invalid data found when processing input');
    expect(ffmpegReason('')).toMatch(/without a message/);
  });

  it('builds filters that select by real time and never enlarge', () => {
    expect(buildFilter({ mode: 'all' }, null)).toBe('showinfo');
    expect(buildFilter({ mode: 'every', every: 3 }, null)).toBe("select='not(mod(n\\,3))',showinfo");
    const f = buildFilter({ mode: 'fps', fps: 5 }, 640);
    expect(f).toContain('floor(t*5)');
    expect(f).toContain('min(640\\,iw)');
  });

  it('predicts frame counts from the probe', () => {
    const probe = { fpsNum: 359, fpsDen: 12, duration: 1.938719, frames: 58 };
    expect(expectedFrames(probe, { mode: 'all' })).toBe(58);
    expect(expectedFrames(probe, { mode: 'every', every: 4 })).toBe(15);
    expect(expectedFrames(probe, { mode: 'fps', fps: 5 })).toBe(10);
  });
});
