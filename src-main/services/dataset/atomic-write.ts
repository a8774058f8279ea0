/**
 * Writes a small text file so that a reader never sees half of it: write a sibling temporary file, fsync,
 * rename over the target. Exports are read by other programs (TF, COCO tools) that would fail obscurely on a
 * truncated label map or config left by a crash.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.partial-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const bytes = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
