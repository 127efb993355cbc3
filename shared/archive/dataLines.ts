/**
 * Reads a committed data blob line by line: gunzip and a line reader over a stream, so a blob of
 * any size (larger than V8's longest string) is read in constant memory. A line that is not a JSON
 * object fails with the blob's name and the line's number, never its text: the text is call content
 * (names, addresses), and errors reach dead letters, logs and Application Insights.
 */
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { type Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { ArchiveDataError } from "../core/errors.js";

export type JsonLine = { readonly [key: string]: unknown };

/** Parses one line of a data blob; `name` and `lineNumber` say where, should it fail. */
export function parseDataLine(text: string, name: string, lineNumber: number): JsonLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ArchiveDataError(name, `line ${lineNumber} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new ArchiveDataError(name, `line ${lineNumber} is not a JSON object`);
  return parsed as JsonLine;
}

/** The JSON objects of a gzipped JSON Lines stream, in order; blank lines skipped. */
export async function* dataLinesOf(name: string, gzipped: Readable): AsyncGenerator<JsonLine> {
  const gunzip = createGunzip();
  // A broken gzip stream is this blob's failure too, named, without its bytes.
  gzipped.on("error", (error) => gunzip.destroy(error));
  const lines = createInterface({ input: gzipped.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line !== "") yield parseDataLine(line, name, lineNumber);
    }
  } catch (error) {
    if (error instanceof ArchiveDataError) throw error;
    throw new ArchiveDataError(name, `could not be read after line ${lineNumber} (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`);
  } finally {
    lines.close();
    gzipped.destroy();
  }
}

/** Counts the bytes and hashes them as they pass: a blob's size and sha256 without a second read. */
export class HashTap extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** The hex digest of everything that passed; call once, after the end. */
  sha256(): string {
    return this.hash.digest("hex");
  }
}
