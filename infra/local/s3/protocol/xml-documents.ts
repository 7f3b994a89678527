import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { MalformedXML } from '../s3-errors.ts';

const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const XML_PREDEFINED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REFERENCE = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z][\w.-]*));/g;

/**
 * Text with XML's references decoded in one pass: the five predefined entities and character
 * references (`&#x0D;`, `&#8232;`, which the SDKs send for such characters in keys). The parser's
 * own entity handling decodes only the named five, so `&#x0D;` stayed literal and a DeleteObjects
 * of a key holding a carriage return reported "Deleted" for a key that does not exist.
 */
function decodeReferences(text: string): string {
  return text.replace(REFERENCE, (_reference, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
    if (name !== undefined) {
      const value = XML_PREDEFINED_ENTITIES[name];
      if (value === undefined) throw new MalformedXML();
      return value;
    }
    const codePoint = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
    if (!isXmlCharacter(codePoint)) throw new MalformedXML();
    return String.fromCodePoint(codePoint);
  });
}

/** XML 1.0's Char production. */
function isXmlCharacter(codePoint: number): boolean {
  return codePoint === 0x9 || codePoint === 0xa || codePoint === 0xd || (codePoint >= 0x20 && codePoint <= 0xd7ff) || (codePoint >= 0xe000 && codePoint <= 0xfffd) || (codePoint >= 0x10000 && codePoint <= 0x10ffff);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  removeNSPrefix: true,
  processEntities: false,
  tagValueProcessor: (_name, value) => decodeReferences(value),
  isArray: (name) => name === 'Part' || name === 'Object',
});

/** An XML document with S3's declaration and namespace around `content` (a fast-xml-parser object). */
export function renderXmlDocument(rootElement: string, content: Record<string, unknown>, withNamespace = true): string {
  const root = withNamespace ? { '@_xmlns': S3_XML_NAMESPACE, ...content } : content;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [rootElement]: root }) as string}`;
}

/**
 * Parses a request body S3 expects as XML, requiring `rootElement`. DTDs are refused outright:
 * S3 takes none, and entity expansion is how XML bodies blow up memory.
 */
export function parseXmlDocument(body: Buffer, rootElement: string): Record<string, unknown> {
  const text = body.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(text) || XMLValidator.validate(text) !== true) throw new MalformedXML();
  const parsed = parseWithinLimits(text);
  const root = parsed[rootElement];
  if (root === undefined || root === null) throw new MalformedXML();
  return typeof root === 'object' ? (root as Record<string, unknown>) : {};
}

/** The parser's own limits (nesting depth and the like) are the client's fault, as any other malformed document. */
function parseWithinLimits(text: string): Record<string, unknown> {
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch {
    throw new MalformedXML();
  }
}
