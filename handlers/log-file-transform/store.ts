/**
 * The S3 edge of the log-file transform: read a log file, write lake objects.
 * Any failure here throws, so that the asynchronous invocation is retried and,
 * after its retries, reaches the failure destination (a line that fails never
 * throws: it goes to errors/).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { LakeObject } from "./transform";

export interface LogObject {
  readonly body: AsyncIterable<Uint8Array>;
  /** S3 LastModified, epoch ms. */
  readonly lastModifiedMs: number;
}

/** What the handler needs from S3; {@link s3Store} is the real one. */
export interface ObjectStore {
  get(bucket: string, key: string): Promise<LogObject>;
  put(bucket: string, object: LakeObject): Promise<void>;
}

export function s3Store(client: S3Client = new S3Client({})): ObjectStore {
  return {
    async get(bucket, key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      return {
        // In Node.js the SDK's body is a Readable stream, which is async iterable.
        body: out.Body as unknown as AsyncIterable<Uint8Array>,
        lastModifiedMs: out.LastModified?.getTime() ?? Date.now(),
      };
    },
    async put(bucket, object) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body, ContentType: object.contentType }));
    },
  };
}

/**
 * The object key of an S3 event record: S3 sends it URL-encoded, with spaces as `+`.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export function eventObjectKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}
