/**
 * The size of a Firehose transformation response as the Lambda runtime will
 * serialize it (`JSON.stringify({ records })`), worked out per record without
 * serializing the batch: the processor checks it against Lambda's 6 MB
 * response limit after every batch.
 */
import type { FirehoseRecordOut } from "./processor";

/** `{"records":[` and `]}`. */
const ENVELOPE_BYTES = '{"records":[]}'.length;

/** JSON lengths of metadata objects; the processor shares one object per event type and day. */
const metadataBytes = new WeakMap<object, number>();

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Bytes of one record's JSON. `data` is base64 (ASCII, nothing to escape), so its length is its size. */
export function recordBytes(record: FirehoseRecordOut): number {
  let meta = 0;
  if (record.metadata !== undefined) {
    meta = metadataBytes.get(record.metadata) ?? jsonBytes(record.metadata);
    metadataBytes.set(record.metadata, meta);
    meta += ',"metadata":'.length;
  }
  return '{"recordId":,"result":,"data":""}'.length + jsonBytes(record.recordId) + jsonBytes(record.result) + record.data.length + meta;
}

/** Bytes of `JSON.stringify({ records })`. */
export function responseBytes(records: readonly FirehoseRecordOut[]): number {
  let total = ENVELOPE_BYTES + Math.max(0, records.length - 1); // commas between records
  for (const r of records) total += recordBytes(r);
  return total;
}
