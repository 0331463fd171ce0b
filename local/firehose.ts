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

/**
 * Error code and message Firehose writes for a record the Lambda returned as
 * ProcessingFailed (as public emulators and Firehose's error output show; the
 * AWS guide documents only the fields).
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
 */
export const PROCESSING_FAILED = { code: "Lambda.ProcessingFailedStatus", message: "ProcessingFailed status set for record" } as const;

/** Stands in for the function's ARN: there is no Lambda locally. */
export const LOCAL_LAMBDA_ARN = "arn:aws:lambda:local:000000000000:function:firehose-transform";
