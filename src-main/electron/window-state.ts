/**
 * What the app remembers between runs (userData/window-state.json): the window's normal bounds,
 * whether it was maximised, and the last project. A file that is missing or unreadable is an empty
 * state; bounds that no longer fall on any display (a monitor unplugged) are dropped.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds?: Bounds;
  maximized?: boolean;
  lastProject?: string;
}

export function readWindowState(file: string): WindowState {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof s !== 'object' || s === null) return {};
    const o = s as Record<string, unknown>;
    const out: WindowState = {};
    const b = o.bounds as Record<string, unknown> | undefined;
    if (b && ['x', 'y', 'width', 'height'].every((k) => Number.isFinite(b[k]))) out.bounds = b as unknown as Bounds;
    if (typeof o.maximized === 'boolean') out.maximized = o.maximized;
    if (typeof o.lastProject === 'string' && o.lastProject) out.lastProject = o.lastProject;
    return out;
  } catch {
    return {};
  }
}

export function writeWindowState(file: string, patch: WindowState): void {
  const next = { ...readWindowState(file), ...patch };
  mkdirSync(path.dirname(file), { recursive: true });
  // Write-then-rename: a crash mid-write never leaves a truncated file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(next));
  renameSync(tmp, file);
}

/** The saved bounds if at least 100×50 px of the title area lies on one of the displays' work areas. */
export function visibleBounds(saved: Bounds | undefined, workAreas: Bounds[]): Bounds | undefined {
  if (!saved || saved.width < 200 || saved.height < 150) return undefined;
  const onSome = workAreas.some((a) => {
    const w = Math.min(saved.x + saved.width, a.x + a.width) - Math.max(saved.x, a.x);
    const h = Math.min(saved.y + 50, a.y + a.height) - Math.max(saved.y, a.y);
    return w >= 100 && h >= 50;
  });
  return onSome ? saved : undefined;
}
