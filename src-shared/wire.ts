/**
 * Message shapes used by the byte/stream transports (WebSocket, in-memory test transport):
 * requests and responses are correlated by id; events are fire-and-forget. Electron IPC uses
 * invoke/handle directly and only needs the event shape (a Uint8Array argument crosses it as a
 * structured clone, no encoding needed).
 *
 * Most messages are JSON text. A request with one byte-array argument (a camera frame for
 * `live.detect`) travels as ONE binary message instead, so its bytes are neither base64-encoded
 * nor parsed as JSON:
 *
 * ```
 * offset 0      uint32, little-endian: H, the header's length in bytes (1 … 65536)
 * offset 4      H bytes: the request as JSON, ASCII only (other characters as \uXXXX escapes),
 *               without the byte-array argument, plus `"bin": "<argument name>"`
 * offset 4 + H  the argument's bytes, to the end of the message
 * ```
 *
 * e.g. `{"t":"req","id":7,"name":"live.detect","args":{"modelId":"run:x","width":320,"height":240},"bin":"rgb"}`
 * followed by 320 × 240 × 3 RGB bytes. The receiver puts the bytes back as a Uint8Array under
 * `args.rgb` and validates the request exactly as if it had come as JSON: the contract's schema
 * decides whether a byte array is acceptable there (it is only for `live.detect`'s `rgb` or `i420`)
 * and checks its size. Responses and events stay JSON text.
 */
import { z } from 'zod';

export const WireRequest = z.object({ t: z.literal('req'), id: z.number().int().nonnegative(), name: z.string().max(100), args: z.unknown() });
export type WireRequest = z.infer<typeof WireRequest>;
export interface WireResponse { t: 'res'; id: number; result: unknown }
export interface WireEvent { t: 'evt'; name: string; payload: unknown }
export type WireMessage = WireRequest | WireResponse | WireEvent;

/** Largest header of a binary request (the JSON part); a real one is under 300 bytes. */
export const MAX_BINARY_HEADER = 64 * 1024;

/** The name of the argument a binary message carries: a plain identifier (never `__proto__` and the like). */
const BinArgName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'an argument name');
const BinaryHeader = WireRequest.extend({ args: z.record(z.string(), z.unknown()), bin: BinArgName });

/** The one top-level argument of `args` that is a byte array, if any. */
export function binaryArgOf(args: unknown): string | null {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return null;
  for (const [k, v] of Object.entries(args)) if (v instanceof Uint8Array) return k;
  return null;
}

/** JSON with every non-ASCII character escaped, so that one byte is one character both ways. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Encodes `msg` as a binary request when its args hold a byte array (see the layout above), else
 * returns null (send it as JSON text). `scratch`, when given and large enough, is written into and a
 * view of it returned: a sender that copies synchronously (WebSocket.send does) can reuse one buffer
 * for every frame instead of allocating a megabyte each time.
 */
export function encodeBinaryRequest(msg: WireRequest, scratch?: Uint8Array): Uint8Array | null {
  const key = binaryArgOf(msg.args);
  if (!key) return null;
  const args = msg.args as Record<string, unknown>;
  const bytes = args[key] as Uint8Array;
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (k !== key) rest[k] = v;
  const header = asciiJson({ t: 'req', id: msg.id, name: msg.name, args: rest, bin: key });
  if (header.length > MAX_BINARY_HEADER) throw new RangeError(`The request header is ${header.length} bytes; at most ${MAX_BINARY_HEADER}.`);
  const total = 4 + header.length + bytes.byteLength;
  const out = scratch && scratch.byteLength >= total ? scratch.subarray(0, total) : new Uint8Array(total);
  const h = header.length;
  out[0] = h & 255;
  out[1] = (h >>> 8) & 255;
  out[2] = (h >>> 16) & 255;
  out[3] = (h >>> 24) & 255;
  for (let i = 0; i < h; i++) out[4 + i] = header.charCodeAt(i);
  out.set(bytes, 4 + h);
  return out;
}

export type DecodedBinary = { ok: true; msg: WireRequest } | { ok: false; id: number; message: string };

/**
 * A binary request → the request with its bytes back under `args[bin]` (a view into `data`, not a
 * copy). Every way a message can be malformed is answered with a message saying what to send.
 */
export function decodeBinaryRequest(data: Uint8Array): DecodedBinary {
  const bad = (message: string, id = 0): DecodedBinary => ({ ok: false, id, message });
  const layout = 'a binary request is a uint32 little-endian header length H, H bytes of JSON {t:"req", id, name, args, bin}, then the bytes of args[bin]';
  if (data.byteLength < 4) return bad(`The binary message has ${data.byteLength} bytes: ${layout}.`);
  const h = (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0;
  if (h < 2 || h > MAX_BINARY_HEADER || 4 + h > data.byteLength) {
    return bad(`The binary message's header length is ${h}, but the message has ${data.byteLength} bytes and a header is 2 to ${MAX_BINARY_HEADER}: ${layout}.`);
  }
  let text = '';
  for (let i = 0; i < h; i += 8192) {
    const chunk = data.subarray(4 + i, 4 + Math.min(h, i + 8192));
    for (let j = 0; j < chunk.length; j++) if (chunk[j]! > 127) return bad(`The binary message's header is not ASCII JSON (byte ${chunk[j]} at ${4 + i + j}): escape other characters as \\uXXXX.`);
    text += String.fromCharCode(...chunk);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return bad(`The binary message's header is not JSON: ${layout}.`);
  }
  const parsed = BinaryHeader.safeParse(header);
  const id = typeof (header as { id?: unknown })?.id === 'number' ? (header as { id: number }).id : 0;
  if (!parsed.success) return bad(`The binary message's header is not a request with a byte argument: ${layout}.`, id);
  const { bin, ...req } = parsed.data;
  if (Object.prototype.hasOwnProperty.call(req.args, bin)) return bad(`The binary message's header already has args.${bin}; the bytes after the header are args.${bin}.`, id);
  return { ok: true, msg: { ...req, args: { ...req.args, [bin]: data.subarray(4 + h) } } };
}
