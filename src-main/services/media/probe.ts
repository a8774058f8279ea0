/** Reads a video's stream facts (frame rate as a ratio, size, duration, rotation) with ffprobe. */
import { KslError } from '../../../src-shared/result';
import { findFfmpeg, findFfprobe } from './ffmpeg-path';
import { ffmpegReason } from './ffmpeg-output';
import { runTool } from './run-tool';

export interface VideoProbe {
  codec: string;
  width: number; // as displayed, rotation applied
  height: number;
  fpsNum: number;
  fpsDen: number;
  duration: number; // seconds
  frames: number | null; // container's frame count when it has one
  rotation: number; // degrees, 0/90/180/270
  startTime: number;
}

const ratio = (s: string | undefined): [number, number] | undefined => {
  if (!s) return undefined;
  const [a, b] = s.split('/').map(Number);
  if (!a || !b || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return [a, b];
};

export async function probeVideo(file: string, signal?: AbortSignal): Promise<VideoProbe> {
  const ffprobe = findFfprobe();
  if (!ffprobe) return probeWithFfmpeg(file, signal);
  const r = await runTool(ffprobe.path, ['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-show_format', '-of', 'json', file], { signal });
  if (r.code !== 0) throw new KslError('FAILED', `${file}: not a readable video (${ffmpegReason(r.stderr)})`, { file });
  let json: { streams?: any[]; format?: any };
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new KslError('FAILED', `${file}: ffprobe printed no readable description`, { file });
  }
  const s = json.streams?.[0];
  if (!s || !s.width || !s.height) throw new KslError('FAILED', `${file}: has no video stream`, { file });
  const fps = ratio(s.avg_frame_rate) ?? ratio(s.r_frame_rate);
  if (!fps) throw new KslError('FAILED', `${file}: its frame rate is unknown`, { file });
  let rotation = 0;
  const tagRot = Number(s.tags?.rotate);
  if (Number.isFinite(tagRot)) rotation = tagRot;
  for (const sd of s.side_data_list ?? []) if (typeof sd.rotation === 'number') rotation = -sd.rotation;
  rotation = ((Math.round(rotation / 90) * 90) % 360 + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const duration = Number(s.duration ?? json.format?.duration);
  const nb = Number(s.nb_frames);
  return {
    codec: String(s.codec_name ?? 'unknown'),
    width: swap ? s.height : s.width,
    height: swap ? s.width : s.height,
    fpsNum: fps[0],
    fpsDen: fps[1],
    duration: Number.isFinite(duration) ? duration : 0,
    frames: Number.isFinite(nb) && nb > 0 ? nb : null,
    rotation,
    startTime: Number(s.start_time ?? json.format?.start_time ?? 0) || 0,
  };
}

/** Without ffprobe (ffmpeg-static ships only ffmpeg): parse the banner of `ffmpeg -i`. */
async function probeWithFfmpeg(file: string, signal?: AbortSignal): Promise<VideoProbe> {
  const r = await runTool(findFfmpeg().path, ['-hide_banner', '-nostdin', '-i', file], { signal });
  const text = r.stderr;
  const stream = /Stream #\d+:\d+[^:]*: Video: (\w+).*?, (\d{2,5})x(\d{2,5})[^\n]*?, ([\d.]+) (?:fps|tbr)/.exec(text);
  if (!stream) throw new KslError('FAILED', `${file}: not a readable video (${ffmpegReason(text)})`, { file });
  const dur = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const fps = Number(stream[4]);
  const rot = /rotate\s*:\s*(-?\d+)|rotation of (-?[\d.]+) degrees/.exec(text);
  let rotation = rot ? Number(rot[1] ?? -Number(rot[2])) : 0;
  rotation = ((Math.round(rotation / 90) * 90) % 360 + 360) % 360;
  const w = Number(stream[2]);
  const h = Number(stream[3]);
  const swap = rotation === 90 || rotation === 270;
  // A decimal rate such as 29.97 becomes an exact ratio over 1000 (as ffmpeg prints it, rounded).
  const den = Number.isInteger(fps) ? 1 : 1000;
  return {
    codec: stream[1]!,
    width: swap ? h : w,
    height: swap ? w : h,
    fpsNum: Math.round(fps * den),
    fpsDen: den,
    duration: dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : 0,
    frames: null,
    rotation,
    startTime: 0,
  };
}
