/**
 * S3's XML answers, read: a ListObjectsV2 page (`ListBucketResult`: the keys and sizes, the common
 * prefixes, and whether and how to ask for the next page) and an error's code and message. Only
 * what is needed: the listing by one linear pass over its tags, an error by regular expressions
 * over S3's short, flat documents; text is
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

function malformed(reason: string): Error {
  return Object.assign(new Error(`malformed ListObjectsV2 answer: ${reason}`), { code: 'MalformedListing' });
}

/** Deepest element a listing has (`ListBucketResult > Contents > RestoreStatus > …`), with room. */
const MAX_DEPTH = 8;

/**
 * A ListObjectsV2 XML answer as a page; throws (code `MalformedListing`) when it is not exactly
 * one: no `ListBucketResult` root, an element left open or closed out of order, text outside the
 * root, an object without a Key or with a Size that is not a whole number, an `IsTruncated` that
 * is missing or neither `true` nor `false`. One pass over the text (each `<` and `>` is looked at
 * once), so a hostile answer costs time linear in its length.
 */
export function parseListObjectsV2(xml: string): ListPage {
  const Contents: ListPage['Contents'] = [];
  const CommonPrefixes: ListPage['CommonPrefixes'] = [];
  let truncated: string | undefined;
  let token: string | undefined;
  const stack: string[] = [];
  /** Fields of the Contents / CommonPrefixes element being read. */
  let entry: { Key?: string; Size?: string; Prefix?: string } = {};
  let rootSeen = false;
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf('<', at);
    const chunk = xml.slice(at, lt === -1 ? xml.length : lt);
    if (stack.length === 0 && chunk.trim() !== '') throw malformed('text outside the document');
    /** The text just before this tag: an element's text when the tag closes it. */
    const text = chunk;
    if (lt === -1) break;
    const gt = xml.indexOf('>', lt + 1);
    if (gt === -1) throw malformed('a tag is not closed');
    const tag = xml.slice(lt + 1, gt);
    at = gt + 1;
    if (tag.startsWith('?') || tag.startsWith('!')) {
      // The XML declaration; S3 writes no comments, CDATA or doctype, and none is accepted in the body.
      if (tag.startsWith('?xml') && stack.length === 0 && !rootSeen) continue;
      throw malformed('unexpected markup');
    }
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw malformed(`</${name.slice(0, 40)}> closes no open element`);
      const parent = stack[stack.length - 1];
      const depth = stack.length; // of the closed element's parent
      if (depth === 2 && parent === 'Contents') {
        if (name === 'Key') entry.Key = xmlUnescape(text);
        else if (name === 'Size') entry.Size = text;
      } else if (depth === 2 && parent === 'CommonPrefixes' && name === 'Prefix') {
        entry.Prefix = xmlUnescape(text);
      } else if (depth === 1) {
        if (name === 'Contents') {
          if (entry.Key === undefined) throw malformed('a listed object has no Key');
          if (entry.Size !== undefined && !/^\d{1,16}$/.test(entry.Size)) {
            throw malformed('a listed object has a Size that is not a whole number');
          }
          Contents.push({ Key: entry.Key, Size: entry.Size === undefined ? 0 : Number(entry.Size) });
        } else if (name === 'CommonPrefixes') {
          if (entry.Prefix !== undefined) CommonPrefixes.push({ Prefix: entry.Prefix });
        } else if (name === 'IsTruncated') truncated = text;
        else if (name === 'NextContinuationToken') token = xmlUnescape(text);
      }
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const name = (selfClosing ? tag.slice(0, -1) : tag).split(/\s/, 1)[0] as string;
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw malformed('a tag has no valid name');
    if (stack.length === 0) {
      if (rootSeen || name !== 'ListBucketResult') {
        throw Object.assign(new Error('S3 answered a listing with something other than a ListBucketResult'), {
          code: 'MalformedListing',
        });
      }
      rootSeen = true;
    }
    if (selfClosing) continue;
    if (stack.length >= MAX_DEPTH) throw malformed('elements nested too deeply');
    stack.push(name);
    if (stack.length === 2) entry = {};
  }
  if (!rootSeen) {
    throw Object.assign(new Error('S3 answered a listing with something other than a ListBucketResult'), {
      code: 'MalformedListing',
    });
  }
  if (stack.length > 0)
    throw malformed(`<${(stack[stack.length - 1] as string).slice(0, 40)}> is never closed`);
  if (truncated !== 'true' && truncated !== 'false')
    throw malformed('IsTruncated is missing or not true/false');
  return {
    Contents,
    CommonPrefixes,
    IsTruncated: truncated === 'true',
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
