/**
 * What Firehose does around the Lambda that the local runner simulates: when
 * a record arrived, and what it writes for a record the function failed.
 */

/**
 * A record's arrival time, simulated: Kinesis receives CloudFront's line about
 * when it was logged, so the line's own timestamp (epoch seconds, first field),
 * or undefined when the line has none (the runner then uses the last one seen,
 * as lines come in time order).
 */
export function leadingTimestampMs(line: string): number | undefined {
  const tab = line.indexOf("\t");
  const n = Number(tab < 0 ? line : line.slice(0, tab));
  return tab > 0 && Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : undefined;
}

/** Defined in core: the log-file transform writes the same error records. */
export { PROCESSING_FAILED } from "../handlers/shared/error-records";

/** Stands in for the function's ARN: there is no Lambda locally. */
export const LOCAL_LAMBDA_ARN = "arn:aws:lambda:local:000000000000:function:firehose-transform";
