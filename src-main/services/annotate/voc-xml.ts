/**
 * A small, safe XML reader and writer for Pascal VOC annotation files (what labelImg saves).
 *
 * Safe because annotation folders come from other people: a DOCTYPE can declare entities that expand to
 * gigabytes ("billion laughs") or pull in local files and URLs (XXE, OWASP's XML External Entity
 * Prevention Cheat Sheet). VOC files never need a DTD, so any `<!DOCTYPE` or `<!ENTITY` is refused outright
 * before anything in it is looked at — no entity is ever resolved or read. Only the five predefined
 * entities and numeric character references are expanded.
 *
 * What it handles: the XML declaration (and its encoding: labelImg writes UTF-8, some Windows tools
 * EUC-KR), byte order marks, comments, processing instructions, CDATA, attributes (labelImg's
 * `<annotation verified="yes">`), self-closing tags, namespaces kept as part of the name. What it does not:
 * DTDs, validation, mixed-content ordering (text is concatenated per element — VOC has no mixed content).
 */
import { KslError } from '../../../src-shared/result';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), concatenated; not trimmed. */
  text: string;
  /** 1-based line of the start tag, for messages. */
  line: number;
}

/** Annotation files larger than this are not VOC (the biggest real ones are a few kB per object). */
export const MAX_XML_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 64;

const PREDEFINED = new Map<string, string>([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

function fail(file: string, message: string, line?: number): never {
  throw new KslError('INVALID', `${file}${line ? `:${line}` : ''}: ${message}`, line ? { file, line } : { file });
}

/**
 * Bytes to text. A BOM wins; else the declaration's encoding; else UTF-8. Decoding is strict: a file that is
 * not valid in its encoding is an error rather than a label silently turned into U+FFFD.
 */
export function decodeXml(bytes: Uint8Array, file: string): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decode('utf-8', bytes.subarray(3), file);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return decode('utf-16le', bytes.subarray(2), file);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return decode('utf-16be', bytes.subarray(2), file);
  // The declaration is ASCII in every ASCII-compatible encoding, so it can be read before decoding.
  const head = String.fromCharCode(...bytes.subarray(0, Math.min(200, bytes.length)));
  const m = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return decode(m ? m[1]!.toLowerCase() : 'utf-8', bytes, file);
}

function decode(encoding: string, bytes: Uint8Array, file: string): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    fail(file, `the XML declares encoding "${encoding}", which this reader does not know; save the file as UTF-8.`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    fail(file, `the file is not valid ${encoding.toUpperCase()} text; save it as UTF-8.`);
  }
}

/** Parses an XML document and returns its root element. `file` is only used in messages. */
export function parseXml(input: string | Uint8Array, file: string): XmlElement {
  if (typeof input !== 'string' && input.length > MAX_XML_BYTES) fail(file, `the file is ${input.length} bytes; a Pascal VOC annotation is never larger than ${MAX_XML_BYTES}.`);
  const src = typeof input === 'string' ? input : decodeXml(input, file);
  // Refuse DTDs before parsing anything (see the file comment). Case-insensitive on purpose: `<!doctype`
  // is not well-formed XML, but a lenient tool elsewhere might still honour it.
  const dtd = /<!\s*(DOCTYPE|ENTITY)/i.exec(src);
  if (dtd) {
    // FORBIDDEN, not INVALID: importers report a malformed file and go on, but stop at a hostile one.
    const line = lineAt(src, dtd.index);
    throw new KslError(
      'FORBIDDEN',
      `${file}:${line}: refused: the file contains a <!${dtd[1]!.toUpperCase()} declaration. Pascal VOC annotations never need one, and a DTD can make an XML reader expand huge or external entities (nothing in it was read); remove it (labelImg never writes one).`,
      { file, line },
    );
  }
  let i = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;

  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (src.charCodeAt(k) === 10) line++;
    i = to;
  };
  const expect = (token: string, what: string): number => {
    const at = src.indexOf(token, i);
    if (at < 0) fail(file, `unterminated ${what}`, line);
    return at;
  };

  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += unescapeText(raw, file, line);
      else if (raw.trim()) fail(file, `text outside the root element: ${JSON.stringify(raw.trim().slice(0, 40))}`, line);
      advance(textEnd);
    }
    if (lt < 0) break;
    if (src.startsWith('<!--', i)) {
      advance(expect('-->', 'comment') + 3);
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = expect(']]>', 'CDATA section');
      const top = stack[stack.length - 1];
      if (!top) fail(file, 'CDATA outside the root element', line);
      top.text += src.slice(i + 9, end);
      advance(end + 3);
    } else if (src.startsWith('<?', i)) {
      advance(expect('?>', 'processing instruction') + 2);
    } else if (src.startsWith('<!', i)) {
      fail(file, `unexpected markup declaration ${JSON.stringify(src.slice(i, i + 12))}`, line);
    } else if (src.startsWith('</', i)) {
      const end = expect('>', 'end tag');
      const name = src.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top) fail(file, `end tag </${name}> without a start tag`, line);
      if (top.name !== name) fail(file, `end tag </${name}> does not match <${top.name}> (line ${top.line})`, line);
      advance(end + 1);
    } else {
      const startLine = line;
      const { name, attrs, selfClosing, end } = readStartTag(src, i, file, line);
      const el: XmlElement = { name, attrs, children: [], text: '', line: startLine };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) fail(file, `a second root element <${name}>`, startLine);
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) fail(file, `elements nested deeper than ${MAX_DEPTH}`, startLine);
      }
      advance(end);
    }
  }
  if (stack.length) fail(file, `<${stack[stack.length - 1]!.name}> (line ${stack[stack.length - 1]!.line}) is never closed`, line);
  if (!root) fail(file, 'no XML element in the file (empty or not XML)');
  return root;
}

const NAME = /^[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9_:.\u00B7\u00C0-\uFFFF]*/;

function readStartTag(src: string, at: number, file: string, line: number): { name: string; attrs: Record<string, string>; selfClosing: boolean; end: number } {
  let i = at + 1;
  const m = NAME.exec(src.slice(i, i + 256));
  if (!m) fail(file, `a "<" that does not start a tag: ${JSON.stringify(src.slice(at, at + 20))}`, line);
  const name = m[0];
  i += name.length;
  // No prototype: an attribute called __proto__ or constructor is just an attribute.
  const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
  for (;;) {
    while (i < src.length && /\s/.test(src[i]!)) i++;
    if (i >= src.length) fail(file, `unterminated start tag <${name}`, line);
    if (src[i] === '>') return { name, attrs, selfClosing: false, end: i + 1 };
    if (src.startsWith('/>', i)) return { name, attrs, selfClosing: true, end: i + 2 };
    const an = NAME.exec(src.slice(i, i + 256));
    if (!an) fail(file, `bad attribute in <${name}>: ${JSON.stringify(src.slice(i, i + 20))}`, line);
    i += an[0].length;
    while (/\s/.test(src[i] ?? '')) i++;
    if (src[i] !== '=') fail(file, `attribute ${an[0]} of <${name}> has no value`, line);
    i++;
    while (/\s/.test(src[i] ?? '')) i++;
    const q = src[i];
    if (q !== '"' && q !== "'") fail(file, `attribute ${an[0]} of <${name}> must be quoted`, line);
    const close = src.indexOf(q, i + 1);
    if (close < 0) fail(file, `unterminated value of attribute ${an[0]} in <${name}>`, line);
    const raw = src.slice(i + 1, close);
    if (raw.includes('<')) fail(file, `"<" inside the value of attribute ${an[0]} of <${name}>`, line);
    if (Object.prototype.hasOwnProperty.call(attrs, an[0])) fail(file, `attribute ${an[0]} appears twice in <${name}>`, line);
    attrs[an[0]] = unescapeText(raw, file, line);
    i = close + 1;
  }
}

/** Expands the five predefined entities and numeric character references; any other entity is an error. */
function unescapeText(raw: string, file: string, line: number): string {
  if (!raw.includes('&')) return raw;
  // One pass over the raw text, so that the "&" an &amp; expands to is never mistaken for a bare one.
  return raw.replace(/&([^;&\s<]{0,32});|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) fail(file, 'a bare "&" in text; write it as &amp;', line);
    const predefined = PREDEFINED.get(ref);
    if (predefined !== undefined) return predefined;
    const num = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (num) {
      const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10);
      // XML 1.0 Char production: no NUL, no surrogates, nothing past U+10FFFF.
      if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) fail(file, `character reference ${whole} is not a valid character`, line);
      return String.fromCodePoint(cp);
    }
    fail(file, `unknown entity ${whole}: only &lt; &gt; &amp; &quot; &apos; and numeric references are allowed (entities are never resolved)`, line);
  });
}

function lineAt(src: string, index: number): number {
  let n = 1;
  for (let k = 0; k < index; k++) if (src.charCodeAt(k) === 10) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Finding things (VOC fields are looked up by name, in any order, ignoring elements we do not know)
// ---------------------------------------------------------------------------------------------------------

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The trimmed text of the first child called `name`, or undefined when there is none. */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}

// ---------------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------------

export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;');
}

/** A node to write: an element with either text or children. */
export interface XmlNode {
  name: string;
  attrs?: Record<string, string>;
  text?: string;
  children?: XmlNode[];
}

/**
 * Serialises the way labelImg's files look: lxml's pretty print with every two-space indent turned into a
 * tab (PascalVocWriter.prettify), no XML declaration (lxml adds none for UTF-8), a newline at the end.
 */
export function writeXml(node: XmlNode, depth = 0): string {
  const pad = '\t'.repeat(depth);
  const attrs = Object.entries(node.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`)
    .join('');
  if (node.children && node.children.length) {
    return `${pad}<${node.name}${attrs}>\n${node.children.map((c) => writeXml(c, depth + 1)).join('')}${pad}</${node.name}>\n`;
  }
  const text = node.text ?? '';
  return text === '' ? `${pad}<${node.name}${attrs}/>\n` : `${pad}<${node.name}${attrs}>${escapeXmlText(text)}</${node.name}>\n`;
}
