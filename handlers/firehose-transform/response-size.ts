/**
 * The size of a Firehose transformation response as the Lambda runtime will
 * serialize it (`JSON.stringify({ records })`), worked out per record without
 * serializing the batch: the processor checks it against Lambda's 6 MB
 * response limit after every batch.
 */
import type { FirehoseRecordOut } from "./firehose";

/** `{"records":[` and `]}`. */
const ENVELOPE_BYTES = '{"records":[]}'.length;

/** JSON lengths of metadata objects; the processor shares one object per event type and day. */
const metadataBytes = new WeakMap<object, number>();

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Printable ASCII but `"` and `\\`: such a string's JSON is itself in quotes. Firehose record ids are. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const stringBytes = (s: string): number => (PLAIN.test(s) ? s.length + 2 : jsonBytes(s));

/**
 * Bytes of one record's JSON. An Ok record's `data` is this function's own base64 (ASCII, nothing to escape); any
 * other record's is whatever came in, and is measured.
 */
export function recordBytes(record: FirehoseRecordOut): number {
  let meta = 0;
  if (record.metadata !== undefined) {
    meta = metadataBytes.get(record.metadata) ?? jsonBytes(record.metadata);
    metadataBytes.set(record.metadata, meta);
    meta += ',"metadata":'.length;
  }
  const data = record.result === "Ok" ? record.data.length + 2 : stringBytes(record.data);
  return '{"recordId":,"result":,"data":}'.length + stringBytes(record.recordId) + stringBytes(record.result) + data + meta;
}

/** Bytes of `JSON.stringify({ records })`. */
export function responseBytes(records: readonly FirehoseRecordOut[]): number {
  let total = ENVELOPE_BYTES + Math.max(0, records.length - 1); // commas between records
  for (const r of records) total += recordBytes(r);
  return total;
}
