import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { MalformedXML } from './request-errors.ts';

export const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  removeNSPrefix: true,
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
