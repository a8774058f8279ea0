/** The binary request layout of src-shared/wire.ts: what the WebSocket client sends and the server reads. */
import { describe, expect, it } from 'vitest';
import { binaryArgOf, decodeBinaryRequest, encodeBinaryRequest, MAX_BINARY_HEADER } from '../../src-shared/wire';

const frame = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 5) & 255);

describe('binary requests', () => {
  it('round-trip a request with a byte argument, non-ASCII text in the header included', () => {
    const rgb = frame(8 * 6 * 3);
    const msg = { t: 'req' as const, id: 42, name: 'live.detect', args: { modelId: 'file:models/수어 모델.onnx', width: 8, height: 6, rgb, settings: { threshold: 0.5 } } };
    const bin = encodeBinaryRequest(msg)!;
    const h = bin[0]! | (bin[1]! << 8) | (bin[2]! << 16) | (bin[3]! << 24);
    const header = String.fromCharCode(...bin.subarray(4, 4 + h));
    expect(header).toMatch(/^[\x20-\x7e]+$/); // ASCII only: one byte per character
    expect(JSON.parse(header)).toEqual({ t: 'req', id: 42, name: 'live.detect', args: { modelId: 'file:models/수어 모델.onnx', width: 8, height: 6, settings: { threshold: 0.5 } }, bin: 'rgb' });
    expect(bin.byteLength).toBe(4 + h + rgb.byteLength);
    const back = decodeBinaryRequest(bin);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.msg).toMatchObject({ t: 'req', id: 42, name: 'live.detect', args: { modelId: 'file:models/수어 모델.onnx', width: 8, height: 6, settings: { threshold: 0.5 } } });
    const got = (back.msg.args as { rgb: Uint8Array }).rgb;
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(got).equals(Buffer.from(rgb))).toBe(true);
  });

  it('writes into a scratch buffer when it is large enough, and leaves requests without bytes to JSON', () => {
    const rgb = frame(300);
    const scratch = new Uint8Array(1000);
    const a = encodeBinaryRequest({ t: 'req', id: 1, name: 'live.detect', args: { rgb } }, scratch)!;
    expect(a.buffer).toBe(scratch.buffer);
    const b = encodeBinaryRequest({ t: 'req', id: 1, name: 'live.detect', args: { rgb: frame(2000) } }, scratch)!;
    expect(b.buffer).not.toBe(scratch.buffer);
    expect(encodeBinaryRequest({ t: 'req', id: 2, name: 'live.detect', args: { rgb: 'AAAA' } })).toBeNull();
    expect(binaryArgOf({ a: 1, b: 'x' })).toBeNull();
    expect(binaryArgOf(Buffer.alloc(3))).toBeNull(); // a bare byte array is not an args object
  });

  it('refuses malformed messages with a message that says what to send', () => {
    const enc = (header: string, payload = new Uint8Array(3)) => {
      const out = new Uint8Array(4 + header.length + payload.length);
      new DataView(out.buffer).setUint32(0, header.length, true);
      for (let i = 0; i < header.length; i++) out[4 + i] = header.charCodeAt(i);
      out.set(payload, 4 + header.length);
      return out;
    };
    const bad = (data: Uint8Array) => {
      const r = decodeBinaryRequest(data);
      expect(r.ok).toBe(false);
      return r.ok ? null : r;
    };
    expect(bad(new Uint8Array(2))!.message).toMatch(/2 bytes.*uint32 little-endian header length/);
    const tooLong = new Uint8Array(10);
    new DataView(tooLong.buffer).setUint32(0, 1000, true);
    expect(bad(tooLong)!.message).toMatch(/header length is 1000, but the message has 10 bytes/);
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setUint32(0, MAX_BINARY_HEADER + 1, true);
    expect(bad(huge)!.message).toMatch(/header length/);
    expect(bad(enc('{not json'))!.message).toMatch(/not JSON/);
    const nonAscii = enc('{"t":"req"}');
    nonAscii[6] = 200;
    expect(bad(nonAscii)!.message).toMatch(/not ASCII/);
    // not a request, no bin, a bin that is not an identifier, args not an object
    expect(bad(enc('{"t":"res","id":3,"result":1,"bin":"rgb"}'))!.id).toBe(3);
    expect(bad(enc('{"t":"req","id":4,"name":"live.detect","args":{}}'))!.message).toMatch(/byte argument/);
    expect(bad(enc('{"t":"req","id":5,"name":"live.detect","args":{},"bin":"__proto__"}'))!.id).toBe(5);
    expect(bad(enc('{"t":"req","id":6,"name":"live.detect","args":[1],"bin":"rgb"}'))!.id).toBe(6);
    // the bytes may not shadow an argument sent in the header
    expect(bad(enc('{"t":"req","id":7,"name":"live.detect","args":{"rgb":"AAAA"},"bin":"rgb"}'))!.message).toMatch(/already has args.rgb/);
  });
});
