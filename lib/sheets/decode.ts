/**
 * Text decoding for CSV files: BOM detection, a streaming UTF-8 decoder that can validate as it goes
 * (so the describe pass detects the encoding while it parses, instead of a separate whole-file
 * validation pass), and the explicit Windows-1252 decoder.
 *
 * Node's `TextDecoder` costs about twice the read itself per chunk; `buffer.isUtf8` (simdutf) plus
 * `Buffer#toString('utf8')` over whole characters does the same work in a fraction of that.
 */
import { isUtf8 } from 'node:buffer';
import type { ByteSource } from './bytes.ts';

/** A streaming decoder, `TextDecoder`-shaped: `decode(chunk, { stream: true })` per chunk, `decode()` at the end. */
export interface ChunkDecoder {
  decode(chunk?: Uint8Array, opts?: { stream?: boolean }): string;
}

/** Thrown by a strict UTF-8 decoder on the first invalid byte sequence: the file is not UTF-8. */
export class InvalidUtf8Error extends Error {
  constructor() {
    super('invalid UTF-8');
    this.name = 'InvalidUtf8Error';
  }
}

/** The encoding a byte-order mark names, from a file's first bytes; undefined without a BOM. */
export function bomEncoding(head: Uint8Array): string | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** Detects the text encoding: BOMs first, then strict UTF-8 validation over the whole stream, else Windows-1252. */
export async function detectEncoding(source: ByteSource, signal?: AbortSignal): Promise<string> {
  const bom = bomEncoding(await source.head(3));
  if (bom) return bom;
  const strict = new Utf8Decoder(true);
  try {
    for await (const chunk of source.stream(signal)) strict.validate(chunk, true);
    strict.validate(undefined, false);
    return 'utf-8';
  } catch (err) {
    if (err instanceof InvalidUtf8Error) return 'windows-1252'; // NHS CSVs that are not UTF-8 are cp1252
    throw err;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Index just past the last whole UTF-8 character of `b`: `b.length` unless `b` ends inside a
 * multi-byte sequence, whose lead byte's index is then returned (those bytes wait for the next chunk).
 */
function wholeEnd(b: Buffer): number {
  const n = b.length;
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const x = b[i];
    if ((x & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = x < 0x80 ? 1 : (x & 0xe0) === 0xc0 ? 2 : (x & 0xf0) === 0xe0 ? 3 : (x & 0xf8) === 0xf0 ? 4 : 1;
    return i + need > n ? i : n;
  }
  return n;
}

/**
 * Streaming UTF-8 decoder. Strict: throws `InvalidUtf8Error` on invalid input, like
 * `TextDecoder('utf-8', { fatal: true })`; lenient: invalid sequences become U+FFFD. Strips a BOM.
 */
export class Utf8Decoder implements ChunkDecoder {
  private carry: Buffer = EMPTY;
  private first = true;

  constructor(private strict: boolean) {}

  /** The bytes of the whole characters so far (the tail of a split character is kept for the next chunk). */
  validate(chunk: Uint8Array | undefined, stream: boolean): Buffer {
    let buf = chunk ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : EMPTY;
    if (this.carry.length) buf = Buffer.concat([this.carry, buf]);
    const end = stream ? wholeEnd(buf) : buf.length;
    // Copied: the stream may reuse the chunk's memory.
    this.carry = end < buf.length ? Buffer.from(buf.subarray(end)) : EMPTY;
    const part = end < buf.length ? buf.subarray(0, end) : buf;
    if (this.strict && !isUtf8(part)) throw new InvalidUtf8Error();
    return part;
  }

  decode(chunk?: Uint8Array, opts?: { stream?: boolean }): string {
    let s = this.validate(chunk, Boolean(chunk && opts?.stream)).toString('utf8');
    if (this.first && s.length) {
      this.first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    return s;
  }
}

/**
 * Windows-1252's printable characters in 0x80–0x9F (en dash 0x96, euro 0x80, curly quotes...). Node 20's
 * `TextDecoder('windows-1252')` treats the label as Latin-1 and yields C1 control characters there instead,
 * so `Clinical Director – Medical` in the PCN files would lose its dash: decode those bytes ourselves.
 */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** A streaming decoder for `encoding` (as `describeCsv` names it); strips a UTF BOM like TextDecoder does. */
export function textDecoder(encoding: string): ChunkDecoder {
  const e = encoding.toLowerCase();
  if (e === 'utf-8' || e === 'utf8') return new Utf8Decoder(false);
  if (e !== 'windows-1252') return new TextDecoder(encoding);
  return {
    decode(chunk?: Uint8Array) {
      if (!chunk) return '';
      // Single-byte: every byte is one character, so chunks never split one.
      return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        .toString('latin1')
        .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
    },
  };
}
