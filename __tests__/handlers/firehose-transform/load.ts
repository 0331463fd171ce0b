/** Shared setup of the transform tests: fixture events, one processor per config, decoded outputs. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { clientIpFieldIndexes, redactIpFieldsBase64 } from "../../../handlers/firehose-transform/privacy";
import {
  createProcessor,
  type FirehoseRecordOut,
  type Processor,
  type ProcessorOptions,
} from "../../../handlers/firehose-transform/processor";
import { REALTIME_LOG_FIELDS } from "../../../schemas/cloudfront";
import type { EventRow } from "../../../schemas/event";
import { FIXTURE_DIR } from "../../helpers/firehose-fixtures";

export const TEST_KEY = "test-visitor-key-0123456789";

export interface FixtureEvent {
  invocationId: string;
  deliveryStreamArn: string;
  sourceKinesisStreamArn: string;
  region: string;
  records: { recordId: string; approximateArrivalTimestamp: number; data: string; kinesisRecordMetadata: Record<string, unknown> }[];
}

export function loadFixture(name: string): FixtureEvent {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), "utf8")) as FixtureEvent;
}

/** A clock after every fixture's timestamps. */
export const FIXED_NOW = () => new Date("2025-06-02T00:00:00Z");

export function processor(options: Partial<ProcessorOptions> = {}): Promise<Processor> {
  return createProcessor({ visitorIdKey: TEST_KEY, now: FIXED_NOW, ...options });
}

/** The lake row of an Ok output. */
export function rowOf(out: FirehoseRecordOut | undefined): EventRow {
  if (out?.result !== "Ok") throw new Error(`expected an Ok record, got ${out?.result}`);
  const text = Buffer.from(out.data, "base64").toString("utf8");
  expect(text.endsWith("\n")).toBe(true);
  return JSON.parse(text) as EventRow;
}

const IP_FIELDS = clientIpFieldIndexes(REALTIME_LOG_FIELDS);

/** A failed record's data as the transform returns it (and errors/ keeps it): the client IP fields redacted. */
export function failedData(data: string): string {
  return redactIpFieldsBase64(data, IP_FIELDS, { fieldCount: REALTIME_LOG_FIELDS.length });
}

/**
 * Checked without the redaction code: a failed record's returned data is its input byte for byte, except the
 * client IP fields of a line with the configured field count, which hold a network address ending in 0 or `-`.
 */
export function expectSameExceptIp(outData: string, inData: string): void {
  const out = Buffer.from(outData, "base64").toString("latin1");
  const input = Buffer.from(inData, "base64").toString("latin1");
  const inFields = input.replace(/\r?\n$/, "").split("\t");
  if (inFields.length !== REALTIME_LOG_FIELDS.length) return; // positions unknown: redactIpFields' own tests cover it
  expect(out.endsWith("\n")).toBe(input.endsWith("\n"));
  const outFields = out.replace(/\r?\n$/, "").split("\t");
  expect(outFields).toHaveLength(inFields.length);
  outFields.forEach((field, i) => {
    if (!IP_FIELDS.includes(i)) expect(field).toBe(inFields[i]);
    else expect(field).toMatch(/^(?:-|(?:\d+\.){3}0|[0-9a-f:]*::)$/);
  });
}
