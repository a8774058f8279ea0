/**
 * TensorFlow Object Detection API `label_map.pbtxt`: a `StringIntLabelMap` in protobuf text format.
 *
 *   item {
 *     id: 1
 *     name: '안녕하세요'
 *   }
 *
 * This file is shared by both processes, so it uses ES2022 only: no TextEncoder/TextDecoder (those are
 * DOM/Node globals), hence the small UTF-8 codec at the bottom.
 *
 * How TF reads the file decides how we write it. `label_map_util.load_labelmap` reads the text and calls
 * `google.protobuf.text_format.Merge`. Its tokenizer accepts single- or double-quoted strings that contain
 * no raw newline, and `text_encoding.CUnescape` turns the body into bytes: raw UTF-8 passes through as
 * UTF-8, and `\n \r \t \' \" \\`, octal `\ooo` and hex `\xhh` escapes become bytes. The string field is
 * then decoded as UTF-8.
 *
 * Writing: we write Korean as UTF-8 directly (what `text_format` itself prints with `as_utf8=True`) so a
 * researcher can read and diff the file, and escape only what would break the token: both quote marks,
 * the backslash, `\n \r \t`, and every other control character as a 3-digit octal byte escape. Three digits
 * always, so an escape followed by a digit ('\0011') cannot be misread.
 */
import { KslError } from '../result';

export interface LabelMapItem {
  /** Class id as the detector emits it; 1-based (0 is the implicit background class). */
  id: number;
  name: string;
  displayName?: string;
}

/** Largest id a `StringIntLabelMapItem.id` (int32) can hold. */
const MAX_ID = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------------

/**
 * Quote a string for protobuf text format (see the file comment for the escaping rules). Also used for the
 * paths in `pipeline.config`, which go through the same tokenizer.
 */
export function quoteTextFormatString(value: string, quote: "'" | '"' = "'"): string {
  if (LONE_SURROGATE.test(value)) {
    // A lone surrogate has no UTF-8 encoding; writing U+FFFD instead would silently rename the class.
    throw new KslError('INVALID', `String ${JSON.stringify(value)} is not valid Unicode (lone surrogate).`);
  }
  let out = quote;
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else out += ch;
  }
  return out + quote;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Serialise items as `label_map.pbtxt`, sorted by id. Ids must be unique integers ≥ 1: TF reserves 0 for
 * the background class, and the detector's `num_classes` must cover the largest id.
 */
export function writeLabelMap(items: readonly LabelMapItem[]): string {
  const seen = new Set<number>();
  for (const item of items) {
    if (!Number.isInteger(item.id) || item.id < 1 || item.id > MAX_ID) {
      throw new KslError('INVALID', `Label map id ${item.id} for ${JSON.stringify(item.name)} must be an integer from 1 to ${MAX_ID}.`);
    }
    if (seen.has(item.id)) throw new KslError('INVALID', `Label map id ${item.id} is used twice.`);
    seen.add(item.id);
    if (typeof item.name !== 'string' || item.name.length === 0) {
      throw new KslError('INVALID', `Label map item ${item.id} has an empty name.`);
    }
  }
  const sorted = [...items].sort((a, b) => a.id - b.id);
  let out = '';
  for (const item of sorted) {
    out += 'item {\n';
    out += `  id: ${item.id}\n`;
    out += `  name: ${quoteTextFormatString(item.name)}\n`;
    if (item.displayName !== undefined) out += `  display_name: ${quoteTextFormatString(item.displayName)}\n`;
    out += '}\n';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------

type TokenKind = 'ident' | 'number' | 'string' | 'symbol';
interface Token {
  kind: TokenKind;
  /** Identifier/number/symbol text; for strings the raw body between the quotes. */
  text: string;
  line: number;
}

class Cursor {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly fail: (line: number, message: string) => never,
    private readonly lastLine: number,
  ) {}
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  next(what: string): Token {
    const t = this.tokens[this.pos];
    if (!t) this.fail(this.lastLine, `unexpected end of file, expected ${what}`);
    this.pos++;
    return t;
  }
  isSymbol(s: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.kind === 'symbol' && t.text === s;
  }
  expectSymbol(s: string): Token {
    const t = this.next(`'${s}'`);
    if (t.kind !== 'symbol' || t.text !== s) this.fail(t.line, `expected '${s}' but found ${describe(t)}`);
    return t;
  }
  /** Text format allows an optional ',' or ';' after every field. */
  skipSeparator(): void {
    if (this.isSymbol(',') || this.isSymbol(';')) this.pos++;
  }
}

function describe(t: Token): string {
  if (t.kind === 'string') return 'a string';
  return `'${t.text}'`;
}

/**
 * Parse a `label_map.pbtxt`, accepting what TF's own files contain: ids in any order, `display_name`,
 * single- or double-quoted strings (adjacent strings concatenate), octal/hex byte escapes that together
 * form UTF-8 (`'\354\225\210'` is '안'), `#` comments, several fields on one line, `item: {`, `<...>`
 * delimiters, `,`/`;` separators, and unknown item fields (`keypoints`, `frequency`, ...) which are skipped.
 * Errors are `KslError('INVALID')` with a message `source:line: ...`. Returns the items sorted by id.
 */
export function parseLabelMap(text: string, source: string): LabelMapItem[] {
  const fail = (line: number, message: string): never => {
    throw new KslError('INVALID', `${source}:${line}: ${message}`, { source, line });
  };
  const tokens = tokenize(text.startsWith('\uFEFF') ? text.slice(1) : text, fail);
  const lastLine = tokens.length ? tokens[tokens.length - 1].line : 1;
  const cur = new Cursor(tokens, fail, lastLine);

  const items: (LabelMapItem & { line: number })[] = [];
  while (cur.peek()) {
    const field = cur.next('a field name');
    if (field.kind !== 'ident') fail(field.line, `expected 'item' but found ${describe(field)}`);
    if (field.text !== 'item') fail(field.line, `unknown field '${field.text}' (a label map holds only 'item' entries)`);
    if (cur.isSymbol(':')) cur.next(':');
    const close = openMessage(cur, fail);
    items.push(parseItem(cur, close, field.line, fail));
    cur.skipSeparator();
  }

  const byId = new Map<number, number>();
  for (const item of items) {
    const firstLine = byId.get(item.id);
    if (firstLine !== undefined) fail(item.line, `duplicate id ${item.id} (first used by the item at line ${firstLine})`);
    byId.set(item.id, item.line);
  }
  return items
    .sort((a, b) => a.id - b.id)
    .map(({ id, name, displayName }) => (displayName === undefined ? { id, name } : { id, name, displayName }));
}

/** Consume '{' or '<' and return the matching closing symbol. */
function openMessage(cur: Cursor, fail: (line: number, message: string) => never): string {
  const t = cur.next("'{'");
  if (t.kind === 'symbol' && t.text === '{') return '}';
  if (t.kind === 'symbol' && t.text === '<') return '>';
  return fail(t.line, `expected '{' but found ${describe(t)}`);
}

function parseItem(
  cur: Cursor,
  close: string,
  line: number,
  fail: (line: number, message: string) => never,
): LabelMapItem & { line: number } {
  let id: number | undefined;
  let name: string | undefined;
  let displayName: string | undefined;
  for (;;) {
    if (cur.isSymbol(close)) {
      cur.next(close);
      break;
    }
    const field = cur.next(`a field name or '${close}'`);
    if (field.kind !== 'ident') fail(field.line, `expected a field name or '${close}' but found ${describe(field)}`);
    const known = field.text === 'id' || field.text === 'name' || field.text === 'display_name';
    if (!known) {
      skipValue(cur, fail);
      cur.skipSeparator();
      continue;
    }
    cur.expectSymbol(':');
    if (field.text === 'id') {
      if (id !== undefined) fail(field.line, `item has more than one 'id'`);
      id = parseId(cur, fail);
    } else {
      const value = parseStringValue(cur, field.text, fail);
      if (field.text === 'name') {
        if (name !== undefined) fail(field.line, `item has more than one 'name'`);
        name = value;
      } else {
        if (displayName !== undefined) fail(field.line, `item has more than one 'display_name'`);
        displayName = value;
      }
    }
    cur.skipSeparator();
  }
  if (id === undefined) fail(line, `item has no 'id'`);
  if (name === undefined || name.length === 0) fail(line, `item ${id} has no 'name'`);
  return { id: id!, name: name!, displayName, line };
}

function parseId(cur: Cursor, fail: (line: number, message: string) => never): number {
  const t = cur.next('an integer id');
  if (t.kind !== 'number') fail(t.line, `id must be an integer but found ${describe(t)}`);
  const value = parseInteger(t.text);
  if (value === undefined) fail(t.line, `id must be an integer but found '${t.text}'`);
  if (value! < 1) fail(t.line, `id ${value} is not allowed: ids start at 1 (0 is the background class)`);
  if (value! > MAX_ID) fail(t.line, `id ${value} does not fit in int32`);
  return value!;
}

/** Integers as text format writes them: decimal, 0x hex, or C-style leading-zero octal. */
function parseInteger(text: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2];
  const magnitude = /^0[xX]/.test(body)
    ? parseInt(body.slice(2), 16)
    : body.length > 1 && body.startsWith('0')
      ? parseInt(body.slice(1), 8)
      : parseInt(body, 10);
  return m[1] === '-' ? -magnitude : magnitude;
}

function parseStringValue(cur: Cursor, field: string, fail: (line: number, message: string) => never): string {
  const first = cur.next(`a quoted string for '${field}'`);
  if (first.kind !== 'string') fail(first.line, `'${field}' must be a quoted string but found ${describe(first)}`);
  // Adjacent string literals concatenate at the byte level, as in C: 'a' "b" is "ab".
  const bytes: number[] = [];
  unescapeInto(first, bytes, fail);
  while (cur.peek()?.kind === 'string') unescapeInto(cur.next('a string'), bytes, fail);
  const decoded = utf8Decode(bytes);
  if (decoded === undefined) fail(first.line, `'${field}' is not valid UTF-8 after unescaping`);
  return decoded!;
}

/** Skip an unknown field's value: a scalar, a `[...]` list, or a nested message (with or without ':'). */
function skipValue(cur: Cursor, fail: (line: number, message: string) => never): void {
  if (cur.isSymbol(':')) {
    cur.next(':');
    if (cur.isSymbol('{') || cur.isSymbol('<')) return skipMessage(cur, fail);
    if (cur.isSymbol('[')) {
      cur.next('[');
      if (cur.isSymbol(']')) {
        cur.next(']');
        return;
      }
      for (;;) {
        if (cur.isSymbol('{') || cur.isSymbol('<')) skipMessage(cur, fail);
        else skipScalar(cur, fail);
        const t = cur.next("',' or ']'");
        if (t.kind === 'symbol' && t.text === ']') return;
        if (t.kind !== 'symbol' || t.text !== ',') fail(t.line, `expected ',' or ']' but found ${describe(t)}`);
      }
    }
    return skipScalar(cur, fail);
  }
  if (cur.isSymbol('{') || cur.isSymbol('<')) return skipMessage(cur, fail);
  const t = cur.next("':' or '{'");
  fail(t.line, `expected ':' or '{' but found ${describe(t)}`);
}

function skipScalar(cur: Cursor, fail: (line: number, message: string) => never): void {
  const t = cur.next('a value');
  if (t.kind === 'symbol' && t.text === '-') {
    const n = cur.next('a number');
    if (n.kind !== 'number' && n.kind !== 'ident') fail(n.line, `expected a number but found ${describe(n)}`);
    return;
  }
  if (t.kind === 'symbol') fail(t.line, `expected a value but found ${describe(t)}`);
  if (t.kind === 'string') {
    // Validate escapes even in ignored fields: a bad escape means the file is not what we think it is.
    unescapeInto(t, [], fail);
    while (cur.peek()?.kind === 'string') unescapeInto(cur.next('a string'), [], fail);
  }
}

function skipMessage(cur: Cursor, fail: (line: number, message: string) => never): void {
  const close = openMessage(cur, fail);
  for (;;) {
    if (cur.isSymbol(close)) {
      cur.next(close);
      return;
    }
    const field = cur.next(`a field name or '${close}'`);
    if (field.kind !== 'ident') fail(field.line, `expected a field name or '${close}' but found ${describe(field)}`);
    skipValue(cur, fail);
    cur.skipSeparator();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer (protobuf text format subset: identifiers, numbers, quoted strings, punctuation, # comments)
// ---------------------------------------------------------------------------------------------------------

function tokenize(text: string, fail: (line: number, message: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
    } else if (ch === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (ch === "'" || ch === '"') {
      const start = i + 1;
      let j = start;
      for (;;) {
        if (j >= n || text[j] === '\n') fail(line, 'unterminated string (a quoted string cannot span lines)');
        if (text[j] === '\\') {
          if (j + 1 >= n || text[j + 1] === '\n') fail(line, 'unterminated string (a quoted string cannot span lines)');
          j += 2;
          continue;
        }
        if (text[j] === ch) break;
        j++;
      }
      tokens.push({ kind: 'string', text: text.slice(start, j), line });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j])) j++;
      tokens.push({ kind: 'ident', text: text.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(ch) || ((ch === '-' || ch === '+' || ch === '.') && /[0-9.]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      // Number-ish run (ints, hex, floats with exponents); validated only where the value is used.
      while (j < n && /[0-9A-Za-z_.+-]/.test(text[j])) {
        if ((text[j] === '+' || text[j] === '-') && !/[eE]/.test(text[j - 1])) break;
        j++;
      }
      tokens.push({ kind: 'number', text: text.slice(i, j), line });
      i = j;
    } else if ('{}<>[]:,;-'.includes(ch)) {
      tokens.push({ kind: 'symbol', text: ch, line });
      i++;
    } else {
      fail(line, `unexpected character ${JSON.stringify(ch)}`);
    }
  }
  return tokens;
}

/**
 * Append the bytes of a quoted string body, applying C escapes as protobuf's CUnescape does: simple escapes,
 * octal `\o`..`\ooo` and hex `\xh`/`\xhh` give raw bytes; `\uXXXX` / `\UXXXXXXXX` give a code point's UTF-8.
 */
function unescapeInto(token: Token, out: number[], fail: (line: number, message: string) => never): void {
  const s = token.text;
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch !== '\\') {
      const cp = s.codePointAt(i)!;
      utf8EncodeInto(cp, out);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out.push(simple);
    } else if (e >= '0' && e <= '7') {
      let j = i;
      while (j < s.length && j < i + 2 && s[j] >= '0' && s[j] <= '7') j++;
      const value = parseInt(s.slice(i - 1, j), 8);
      if (value > 0xff) fail(token.line, `octal escape \\${s.slice(i - 1, j)} is larger than a byte`);
      out.push(value);
      i = j;
    } else if (e === 'x' || e === 'X') {
      let j = i;
      while (j < s.length && j < i + 2 && /[0-9a-fA-F]/.test(s[j])) j++;
      if (j === i) fail(token.line, 'hex escape \\x without digits');
      out.push(parseInt(s.slice(i, j), 16));
      i = j;
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = s.slice(i, i + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(token.line, `\\${e} escape needs ${len} hex digits`);
      let cp = parseInt(hex, 16);
      i += len;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        // A surrogate pair written as two \u escapes, as JSON-minded tools do.
        const low = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(s.slice(i));
        if (!low) fail(token.line, `\\u${hex} is a lone surrogate`);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(low![1], 16) - 0xdc00);
        i += 6;
      } else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp > 0x10ffff) {
        fail(token.line, `\\${e}${hex} is not a Unicode scalar value`);
      }
      utf8EncodeInto(cp, out);
    } else {
      fail(token.line, `unknown escape \\${e ?? ''} in string`);
    }
  }
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  '?': 0x3f,
};

// ---------------------------------------------------------------------------------------------------------
// UTF-8 (ES2022 has no TextEncoder/TextDecoder)
// ---------------------------------------------------------------------------------------------------------

function utf8EncodeInto(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** Strict UTF-8 decode (no overlongs, no surrogates); undefined when the bytes are not UTF-8. */
function utf8Decode(bytes: readonly number[]): string | undefined {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i];
    let cp: number;
    let need: number;
    let min: number;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f;
      need = 1;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f;
      need = 2;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      return undefined;
    }
    if (i + need >= bytes.length) return undefined; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
