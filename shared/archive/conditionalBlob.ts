/**
 * A small JSON document in a blob, changed only if nobody changed it since it was read: the read
 * answers the text with the ETag of those very bytes (one request), and the write is conditioned
 * on that ETag (or on no blob at all), answering false when another writer got there first. The
 * watermark and the tenant registry are kept this way.
 */
import type { BlockBlobClient } from "@azure/storage-blob";

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** The blob's text and ETag; undefined when there is no blob. */
export async function readBlobText(blob: BlockBlobClient): Promise<{ readonly text: string; readonly etag: string } | undefined> {
  try {
    const response = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return { text: Buffer.concat(chunks).toString("utf8"), etag: response.etag ?? "" };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Writes the text if the blob still has `etag` (undefined: if there is no blob); false when it has changed. */
export async function writeBlobTextIf(blob: BlockBlobClient, text: string, etag: string | undefined): Promise<boolean> {
  try {
    await blob.upload(text, Buffer.byteLength(text), {
      conditions: etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag },
      blobHTTPHeaders: { blobContentType: "application/json" },
    });
    return true;
  } catch (error) {
    const status = statusOf(error);
    if (status === 409 || status === 412) return false;
    throw error;
  }
}
