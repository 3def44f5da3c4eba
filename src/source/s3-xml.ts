/**
 * S3's XML answers, read: a ListObjectsV2 page (`ListBucketResult`: the keys and sizes, the common
 * prefixes, and whether and how to ask for the next page) and an error's code and message. Only
 * what is needed, read by regular expressions over S3's fixed, flat documents; text is
 * XML-unescaped (the five named entities and numeric character references, which is all S3 writes).
 */

/** A listing page, in the SDK's ListObjectsV2 output shape (the store reads either). */
export interface ListPage {
  Contents: { Key: string; Size: number }[];
  CommonPrefixes: { Prefix: string }[];
  IsTruncated: boolean;
  NextContinuationToken?: string;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Text content with XML's escapes undone; an unknown or malformed reference is refused. */
export function xmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;]*);?/g, (match, ref: string) => {
    if (!match.endsWith(';')) throw new Error(`malformed XML reference in listing: ${JSON.stringify(match)}`);
    const named = NAMED[ref];
    if (named !== undefined) return named;
    const code = /^#x[0-9a-f]+$/i.test(ref)
      ? parseInt(ref.slice(2), 16)
      : /^#[0-9]+$/.test(ref)
        ? parseInt(ref.slice(1), 10)
        : NaN;
    if (!Number.isInteger(code) || code > 0x10ffff) {
      throw new Error(`unknown XML reference in listing: ${JSON.stringify(match)}`);
    }
    return String.fromCodePoint(code);
  });
}

/** `<name>text</name>` patterns by name, compiled once: a listing page looks up 2,000 elements. */
const ELEMENTS = new Map<string, RegExp>();

function elementPattern(name: string): RegExp {
  let re = ELEMENTS.get(name);
  if (!re) ELEMENTS.set(name, (re = new RegExp(`<${name}>([^<]*)</${name}>`)));
  return re;
}

/** The text of the first `<name>` element of `xml`, unescaped, or undefined. */
export function first(xml: string, name: string): string | undefined {
  const m = elementPattern(name).exec(xml);
  return m ? xmlUnescape(m[1] as string) : undefined;
}

/** A ListObjectsV2 XML answer as a page; throws when it is not one. */
export function parseListObjectsV2(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) {
    throw Object.assign(new Error('S3 answered a listing with something other than a ListBucketResult'), {
      code: 'MalformedListing',
    });
  }
  const Contents: ListPage['Contents'] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const entry = m[1] as string;
    const key = first(entry, 'Key');
    const size = first(entry, 'Size');
    if (key === undefined)
      throw Object.assign(new Error('a listed object has no Key'), { code: 'MalformedListing' });
    Contents.push({ Key: key, Size: size === undefined ? 0 : Number(size) });
  }
  const CommonPrefixes: ListPage['CommonPrefixes'] = [];
  for (const m of xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)) {
    const prefix = first(m[1] as string, 'Prefix');
    if (prefix !== undefined) CommonPrefixes.push({ Prefix: prefix });
  }
  // Names found only at the top level (keys are escaped: no `<` inside a Key's text).
  const token = first(xml, 'NextContinuationToken');
  return {
    Contents,
    CommonPrefixes,
    IsTruncated: first(xml, 'IsTruncated') === 'true',
    ...(token !== undefined ? { NextContinuationToken: token } : {}),
  };
}

/**
 * The `<Code>` and `<Message>` of an S3 error document. Lenient, unlike a listing: the body may
 * come from a proxy (HTML, odd entities), and an error must be reported whatever it says.
 */
export function parseErrorXml(body: string): { code?: string; message?: string } {
  const text = (name: string): string | undefined => {
    try {
      return first(body, name);
    } catch {
      return elementPattern(name).exec(body)?.[1];
    }
  };
  const code = text('Code');
  const message = text('Message');
  return { ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}
