/** Shared setup of the transform tests: fixture events, one processor per config, decoded outputs. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  createProcessor,
  type FirehoseRecordOut,
  type Processor,
  type ProcessorOptions,
} from "../../../handlers/firehose-transform/processor";
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
