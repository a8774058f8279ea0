/**
 * The TensorFlow.js backend the head trains on: the wasm backend (XNNPACK/SIMD kernels; every op the head
 * uses) when it starts, else the pure-JS CPU backend. Shared by the train job and its gradient worker.
 */
import path from 'node:path';
import { unpackedPath } from '../fs/unpacked-path';

export async function selectBackend(): Promise<string> {
  const tf = await import('@tensorflow/tfjs');
  if (tf.getBackend() === 'wasm') return 'wasm';
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In a packaged app the .wasm files are unpacked from app.asar (electron-builder.yml asarUnpack).
    wasm.setWasmPaths(unpackedPath(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))) + path.sep);
    if (await tf.setBackend('wasm')) return 'wasm';
  } catch {
    /* fall back to the CPU backend */
  }
  await tf.setBackend('cpu');
  return 'cpu';
}
