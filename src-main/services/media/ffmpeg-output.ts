/**
 * Pure parsers for ffmpeg's machine-readable output, unit-tested on captured lines:
 * `-progress pipe:1` key=value blocks, and the showinfo filter's per-frame lines (which carry the
 * real presentation time and size of every frame written).
 */

export interface FfmpegProgress {
  frame?: number;
  outTimeSeconds?: number;
  speed?: number;
  end: boolean;
}

/** Splits a chunk stream of `-progress` output into blocks; each block ends with `progress=continue|end`. */
export class ProgressParser {
  private buffer = '';
  private current: Record<string, string> = {};
  push(chunk: string): FfmpegProgress[] {
    this.buffer += chunk;
    const out: FfmpegProgress[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      this.current[key] = value;
      if (key === 'progress') {
        out.push(toProgress(this.current));
        this.current = {};
      }
    }
    return out;
  }
}

function toProgress(kv: Record<string, string>): FfmpegProgress {
  const p: FfmpegProgress = { end: kv.progress === 'end' };
  const frame = Number(kv.frame);
  if (kv.frame !== undefined && Number.isFinite(frame)) p.frame = frame;
  // out_time_us is the precise one; out_time_ms is (despite its name) also microseconds.
  const us = Number(kv.out_time_us ?? kv.out_time_ms);
  if (Number.isFinite(us) && us >= 0) p.outTimeSeconds = us / 1e6;
  const speed = parseFloat(kv.speed ?? '');
  if (Number.isFinite(speed)) p.speed = speed;
  return p;
}

export interface ShowinfoFrame {
  n: number;
  ptsTime: number;
  width: number;
  height: number;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+(?:e-?\d+)?)\b.*?\bs:(\d+)x(\d+)/;

/** Parses one stderr line of the showinfo filter; undefined for any other line. */
export function parseShowinfoLine(line: string): ShowinfoFrame | undefined {
  if (!line.includes('Parsed_showinfo')) return undefined;
  const m = SHOWINFO.exec(line);
  if (!m) return undefined;
  return { n: Number(m[1]), ptsTime: Number(m[3]), width: Number(m[4]), height: Number(m[5]) };
}

/** The last meaningful error line of ffmpeg's stderr, for a person to read. */
export function ffmpegReason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.includes('Parsed_showinfo') && !/^(frame|fps|stream_|bitrate|total_size|out_time|dup_frames|drop_frames|speed|progress)=/.test(l));
  const bad = lines.filter((l) => /error|invalid|no such|not found|could not|unable|failed|denied|moov atom/i.test(l));
  return (bad[bad.length - 1] ?? lines[lines.length - 1] ?? 'ffmpeg failed without a message').slice(0, 300);
}
