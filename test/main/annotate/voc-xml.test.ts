import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { child, childrenNamed, childText, parseXml, writeXml } from '../../../src-main/services/annotate/voc-xml';
import { KslError } from '../../../src-shared/result';
import { useTmpDir } from '../../helpers/tmp';

const tmp = useTmpDir();

function error(fn: () => unknown): KslError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KslError) return e;
    throw e;
  }
  throw new Error('expected a KslError');
}

const LABELIMG = `<annotation verified="yes">
\t<folder>train</folder>
\t<filename>안녕_001.jpg</filename>
\t<path>C:\\Users\\lab\\train\\안녕_001.jpg</path>
\t<source>
\t\t<database>Unknown</database>
\t</source>
\t<size>
\t\t<width>64</width>
\t\t<height>48</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>0</segmented>
\t<object>
\t\t<name>안녕하세요</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>10</xmin>
\t\t\t<ymin>8</ymin>
\t\t\t<xmax>30</xmax>
\t\t\t<ymax>32</ymax>
\t\t</bndbox>
\t</object>
</annotation>
`;

describe('parseXml', () => {
  it('reads a labelImg file: attributes, nesting, Korean text', () => {
    const root = parseXml(Buffer.from(LABELIMG, 'utf8'), 'a.xml');
    expect(root.name).toBe('annotation');
    expect(root.attrs).toEqual({ verified: 'yes' });
    expect(childText(root, 'filename')).toBe('안녕_001.jpg');
    const obj = childrenNamed(root, 'object');
    expect(obj).toHaveLength(1);
    expect(childText(obj[0]!, 'name')).toBe('안녕하세요');
    expect(childText(child(obj[0]!, 'bndbox')!, 'ymax')).toBe('32');
    expect(obj[0]!.line).toBe(14);
  });

  it('expands the five predefined entities and numeric references, keeps CDATA, skips comments and PIs', () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<a t='x &amp; &quot;y&quot;'><b>&lt;&gt;&amp;&apos;&quot; &#xAC00;&#44032;</b><c><![CDATA[<raw & text>]]></c><?pi stuff?><d/></a>`,
      'e.xml',
    );
    expect(root.attrs['t']).toBe('x & "y"');
    expect(childText(root, 'b')).toBe(`<>&'" 가가`);
    expect(childText(root, 'c')).toBe('<raw & text>');
    expect(child(root, 'd')).toMatchObject({ name: 'd', children: [], text: '' });
  });

  it('reads a UTF-8 BOM and a declared EUC-KR encoding', () => {
    expect(childText(parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a><n>병원</n></a>')]), 'bom.xml'), 'n')).toBe('병원');
    // 병원 in EUC-KR is BA B4 BF F8.
    const euc = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="euc-kr"?><a><n>'), Buffer.from([0xba, 0xb4, 0xbf, 0xf8]), Buffer.from('</n></a>')]);
    expect(childText(parseXml(euc, 'euc.xml'), 'n')).toBe('병원');
  });

  it('reports malformed files with the file and line', () => {
    const mismatched = error(() => parseXml('<a>\n<b></c>\n</a>', 'bad.xml'));
    expect(mismatched.code).toBe('INVALID');
    expect(mismatched.message).toMatch(/^bad\.xml:2: end tag <\/c> does not match <b>/);
    expect(error(() => parseXml('<a><b></b>', 'open.xml')).message).toMatch(/<a> .* is never closed/);
    expect(error(() => parseXml('<a>AT&T</a>', 'amp.xml')).message).toMatch(/bare "&"/);
    expect(error(() => parseXml('<a>&nbsp;</a>', 'ent.xml')).message).toMatch(/unknown entity &nbsp;/);
    expect(error(() => parseXml('<a>&constructor;</a>', 'proto.xml')).message).toMatch(/unknown entity/);
    expect(error(() => parseXml('<a>&#0;</a>', 'nul.xml')).message).toMatch(/not a valid character/);
    expect(error(() => parseXml('', 'empty.xml')).message).toMatch(/no XML element/);
    expect(error(() => parseXml('<a/><b/>', 'two.xml')).message).toMatch(/second root/);
    expect(error(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), 'latin.xml')).message).toMatch(/not valid UTF-8/);
    const attrs = parseXml('<a __proto__="1" constructor="2"/>', 'p.xml').attrs;
    expect(Object.entries(attrs)).toEqual([
      ['__proto__', '1'],
      ['constructor', '2'],
    ]);
    expect(Object.getPrototypeOf(attrs)).toBeNull();
  });

  describe('refuses DTDs without reading them', () => {
    it('XXE to /etc/passwd: refused, naming the file, and nothing of the target appears', () => {
      const xml = `<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<annotation><filename>&xxe;</filename></annotation>`;
      const e = error(() => parseXml(Buffer.from(xml), '/data/voc/evil.xml'));
      expect(e.code).toBe('FORBIDDEN');
      expect(e.message).toContain('/data/voc/evil.xml:2');
      expect(e.message).toMatch(/DOCTYPE/);
      expect(e.message).not.toMatch(/root:|nologin|\/bin\/(ba)?sh/);
      expect(JSON.stringify(e.details)).not.toMatch(/root:/);
    });

    it('an entity pointing at a local file is never read: its content appears nowhere', () => {
      const dir = tmp();
      const secret = path.join(dir, 'secret.txt');
      writeFileSync(secret, 'SECRET-MARKER-4417');
      const xml = `<!DOCTYPE annotation [<!ENTITY s SYSTEM "file://${secret}">]><annotation><name>&s;</name></annotation>`;
      const e = error(() => parseXml(xml, 'leak.xml'));
      expect(e.code).toBe('FORBIDDEN');
      expect(`${e.message} ${JSON.stringify(e.details)}`).not.toContain('SECRET-MARKER');
    });

    it('billion laughs, a bare ENTITY and a lower-case doctype are refused too', () => {
      const lol = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
      expect(error(() => parseXml(lol, 'lol.xml')).code).toBe('FORBIDDEN');
      expect(error(() => parseXml('<a><!ENTITY x "y"></a>', 'ent.xml')).code).toBe('FORBIDDEN');
      expect(error(() => parseXml('<!doctype a><a/>', 'lower.xml')).code).toBe('FORBIDDEN');
    });
  });
});

describe('writeXml', () => {
  it('writes labelImg’s tab-indented layout and escapes what must be escaped', () => {
    const text = writeXml({ name: 'annotation', attrs: { verified: 'yes' }, children: [{ name: 'name', text: 'R&D <손>' }, { name: 'empty' }] });
    expect(text).toBe('<annotation verified="yes">\n\t<name>R&amp;D &lt;손&gt;</name>\n\t<empty/>\n</annotation>\n');
    expect(childText(parseXml(text, 'w.xml'), 'name')).toBe('R&D <손>');
  });
});
