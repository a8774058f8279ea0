import { z } from 'zod';

/**
 * A path relative to the project folder, as the UI may send it. Absolute paths, drive letters,
 * `..` segments, NUL and backslashes are refused here, before any disk access; the main side
 * resolves again and checks containment (symlinks included) — two independent checks.
 */
export const ProjectRelPath = z
  .string()
  .max(1024)
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine((p) => !p.includes('\\'), 'use forward slashes')
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p), 'must be relative to the project folder')
  .refine((p) => !p.split('/').includes('..'), 'must stay inside the project folder (no "..")');

/** NFC-normalise Korean (and all) text at every entry point: macOS file names arrive as NFD. */
export const nfc = (s: string): string => s.normalize('NFC');
