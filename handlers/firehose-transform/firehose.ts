/**
 * The Firehose data-transformation contract, as this transform uses it: the
 * records of the event and of the response, narrowed from @types/aws-lambda.
 * Its own module so that the processor and the response-size arithmetic both
 * read it without importing each other.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */
import type {
  FirehoseRecordTransformationStatus,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from "aws-lambda";
import type { PartitionKeys } from "../../schemas/event";

/**
 * One record of a Firehose transformation event: only `recordId` and `data` are read, so only they are required
 * (the local runner and the benchmarks build records without inventing the rest).
 */
export type FirehoseRecordIn = Pick<FirehoseTransformationEventRecord, "recordId" | "data"> &
  Partial<Pick<FirehoseTransformationEventRecord, "approximateArrivalTimestamp">>;

export type FirehoseResult = FirehoseRecordTransformationStatus;

/** One record of the response: `data` always set (base64), `metadata.partitionKeys` only on `Ok`. */
export interface FirehoseRecordOut extends FirehoseTransformationResultRecord {
  data: string;
  metadata?: { partitionKeys: PartitionKeys };
}

/** The event Lambda hands the handler, with the records as above. */
export type FirehoseEventIn = Omit<FirehoseTransformationEvent, "records"> & { records: FirehoseRecordIn[] };

/** The handler's answer: exactly one record per input record, in order. */
export interface FirehoseEventOut extends FirehoseTransformationResult {
  records: FirehoseRecordOut[];
}
