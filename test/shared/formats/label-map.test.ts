import { describe, it, expect } from 'vitest';
import { parseLabelMap, quoteTextFormatString, writeLabelMap, type LabelMapItem } from '../../../src-shared/formats/label-map';
import { KslError } from '../../../src-shared/result';

/** The thrown error, for checking its class and details as well as its message. */
function errorOf(fn: () => unknown): KslError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KslError);
    return e as KslError;
  }
  throw new Error('expected an error');
}

describe('writeLabelMap', () => {
  it('writes the TF OD API layout with Korean as UTF-8', () => {
    expect(writeLabelMap([{ id: 1, name: '안녕하세요' }])).toBe("item {\n  id: 1\n  name: '안녕하세요'\n}\n");
  });

  it('sorts by id and writes display_name when given', () => {
    const text = writeLabelMap([
      { id: 2, name: '감사합니다' },
      { id: 1, name: '안녕', displayName: 'hello' },
    ]);
    expect(text).toBe(
      "item {\n  id: 1\n  name: '안녕'\n  display_name: 'hello'\n}\n" + "item {\n  id: 2\n  name: '감사합니다'\n}\n",
    );
  });

  it('escapes quotes, backslashes and control characters', () => {
    expect(quoteTextFormatString(`a'b"c\\d`)).toBe(`'a\\'b\\"c\\\\d'`);
    expect(quoteTextFormatString('x\ny\tz\r\u0001\u007f')).toBe("'x\\ny\\tz\\r\\001\\177'");
    expect(quoteTextFormatString('C:\\data\\a.record', '"')).toBe('"C:\\\\data\\\\a.record"');
    // No raw newline may end up inside a quoted string: the tokenizer rejects it.
    const text = writeLabelMap([{ id: 1, name: 'two\nlines' }]);
    expect(text.split('\n')).toHaveLength(5);
  });

  it('rejects bad ids and names', () => {
    expect(() => writeLabelMap([{ id: 0, name: 'a' }])).toThrow(/id 0/);
    expect(() => writeLabelMap([{ id: 1.5, name: 'a' }])).toThrow(/integer/);
    expect(() => writeLabelMap([{ id: 1, name: 'a' }, { id: 1, name: 'b' }])).toThrow(/used twice/);
    expect(() => writeLabelMap([{ id: 1, name: '' }])).toThrow(/empty name/);
    expect(() => writeLabelMap([{ id: 1, name: 'bad\uD800' }])).toThrow(/surrogate/);
  });
});

describe('parseLabelMap round trip', () => {
  it('returns exactly what was written, including awkward names', () => {
    const items: LabelMapItem[] = [
      { id: 3, name: '안녕하세요' },
      { id: 1, name: `it's "quoted"`, displayName: '따옴표 \' " 포함' },
      { id: 2, name: 'back\\slash\\\\double', displayName: 'C:\\경로\\' },
      { id: 4, name: 'tab\there\nnewline\u0000nul\u001fus' },
      { id: 5, name: '😀 emoji ＆ 全角' },
      { id: 10, name: '#not a comment' },
    ];
    const parsed = parseLabelMap(writeLabelMap(items), 'rt.pbtxt');
    expect(parsed).toEqual([...items].sort((a, b) => a.id - b.id));
    expect(parsed.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 10]);
  });

  it('round-trips an empty map', () => {
    expect(writeLabelMap([])).toBe('');
    expect(parseLabelMap('', 'empty.pbtxt')).toEqual([]);
    expect(parseLabelMap('# only a comment\n\n', 'empty.pbtxt')).toEqual([]);
  });
});

describe('parseLabelMap on TF-style files', () => {
  it('handles out-of-order ids, display_name, both quote styles, comments and one-line items', () => {
    const text = [
      '# Exported by some other tool',
      'item {',
      '  name: "/m/01g317"  # trailing comment',
      '  id: 3',
      "  display_name: 'person'",
      '}',
      'item { name: "a" id: 2 }',
      "item: { id: 1, name: 'b'; }",
      'item <',
      '  id: 7',
      '  name: "c"',
      '>',
    ].join('\n');
    expect(parseLabelMap(text, 'tf.pbtxt')).toEqual([
      { id: 1, name: 'b' },
      { id: 2, name: 'a' },
      { id: 3, name: '/m/01g317', displayName: 'person' },
      { id: 7, name: 'c' },
    ]);
  });

  it('decodes octal and hex byte escapes as UTF-8', () => {
    const text = [
      "item { id: 1 name: '\\354\\225\\210\\353\\205\\225' }",
      'item { id: 2 name: "\\xec\\x95\\x88\\xeb\\x85\\x95" display_name: "\\352\\260\\220\\354\\202\\254" }',
      "item { id: 3 name: 'a\\'b\\\"c\\\\d\\n\\t\\0' }",
      "item { id: 4 name: '\\u00e9\\U0001F600' }",
      "item { id: 5 name: 'con' \"cat\" '\\354\\225' '\\210' }",
    ].join('\n');
    expect(parseLabelMap(text, 'esc.pbtxt')).toEqual([
      { id: 1, name: '안녕' },
      { id: 2, name: '안녕', displayName: '감사' },
      { id: 3, name: 'a\'b"c\\d\n\t\u0000' },
      { id: 4, name: 'é😀' },
      // Adjacent strings join at the byte level, so a character may be split across them.
      { id: 5, name: 'concat안' },
    ]);
  });

  it('ignores unknown item fields, scalar, list and nested', () => {
    const text = `
item {
  name: "face"
  id: 1
  frequency: FREQUENT
  instance_count: 42
  ancestor_ids: [5, 6]
  keypoints {
    id: 0
    label: "nose"
  }
  keypoints: { id: 1 label: "eye" }
  score: -0.5
  weird: [ { a: 1 }, { b: "x" } ]
}
`;
    expect(parseLabelMap(text, 'kp.pbtxt')).toEqual([{ id: 1, name: 'face' }]);
  });

  it('accepts CRLF line endings, a BOM and hex/octal ids', () => {
    const text = '\uFEFFitem {\r\n  id: 0x2\r\n  name: "a"\r\n}\r\nitem { id: 010 name: "b" }\r\n';
    expect(parseLabelMap(text, 'crlf.pbtxt')).toEqual([
      { id: 2, name: 'a' },
      { id: 8, name: 'b' },
    ]);
  });
});

describe('parseLabelMap errors name the source and line', () => {
  it('reports a duplicate id at its line and points at the first', () => {
    const text = 'item {\n  id: 1\n  name: "a"\n}\nitem {\n  id: 1\n  name: "b"\n}\n';
    const e = errorOf(() => parseLabelMap(text, 'dup.pbtxt'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe('dup.pbtxt:5: duplicate id 1 (first used by the item at line 1)');
    expect(e.details).toEqual({ source: 'dup.pbtxt', line: 5 });
  });

  it('rejects ids below 1', () => {
    expect(() => parseLabelMap('item {\n  id: 0\n  name: "bg"\n}', 'zero.pbtxt')).toThrow(/^zero\.pbtxt:2: id 0 is not allowed/);
    expect(() => parseLabelMap('item {\n\n  id: -3\n  name: "x"\n}', 'neg.pbtxt')).toThrow(/^neg\.pbtxt:3: id -3/);
    expect(() => parseLabelMap('item { id: 1.5 name: "x" }', 'f.pbtxt')).toThrow(/^f\.pbtxt:1: id must be an integer/);
    expect(() => parseLabelMap('item { id: 2147483648 name: "x" }', 'big.pbtxt')).toThrow(/int32/);
  });

  it('reports malformed input', () => {
    const cases: [string, RegExp][] = [
      ['item {\n  id: 1\n  name: "a"\n', /^m\.pbtxt:3: unexpected end of file/],
      ['item {\n  id 1\n}', /^m\.pbtxt:2: expected ':'/],
      ['item {\n  id: 1\n  name: "unterminated\n}', /^m\.pbtxt:3: unterminated string/],
      ['item {\n  id: 1\n  name: abc\n}', /^m\.pbtxt:3: 'name' must be a quoted string/],
      ['item { id: 1 name: "a" }\nlabel { id: 2 }', /^m\.pbtxt:2: unknown field 'label'/],
      ['item {\n  id: 1\n}', /^m\.pbtxt:1: item 1 has no 'name'/],
      ['\n\nitem {\n  name: "a"\n}', /^m\.pbtxt:3: item has no 'id'/],
      ['item {\n  id: 1\n  id: 2\n  name: "a"\n}', /^m\.pbtxt:3: item has more than one 'id'/],
      ["item {\n  id: 1\n  name: '\\377'\n}", /^m\.pbtxt:3: 'name' is not valid UTF-8/],
      ["item {\n  id: 1\n  name: '\\q'\n}", /^m\.pbtxt:3: unknown escape/],
      ["item {\n  id: 1\n  name: '\\400'\n}", /^m\.pbtxt:3: octal escape/],
      ['item {\n  id: 1\n  name: "a" }\n}', /^m\.pbtxt:4: expected 'item' but found '}'/],
      ['item {\n  id: 1 @\n}', /^m\.pbtxt:2: unexpected character "@"/],
    ];
    for (const [text, re] of cases) expect(() => parseLabelMap(text, 'm.pbtxt'), text).toThrow(re);
  });
});
