/**
 * Writes a local lake laid out like the S3 one: events as Firehose partitions
 * them (hive-style) and GA reports as AppFlow writes them (`ga/<flow>/yyyy/MM/dd/`),
 * each as Parquet through hyparquet-writer with the schemas' own Parquet forms.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import type * as z from "zod";
import { type EventRow, EventRowSchema, type EventType, partitionKeysFor } from "../../schemas/event";
import { type GaReportRow, GaReportRowSchema, gaFlowPrefix, gaPartitionValue } from "../../schemas/ga";
import { parquetSchema, rowsToColumnData } from "../../schemas/generators/parquet";
import { LAKE_PREFIXES } from "../../schemas/lake";

export function writeParquet(file: string, schema: z.ZodObject, rows: readonly Record<string, unknown>[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const buffer = parquetWriteBuffer({ columnData: rowsToColumnData(schema, rows), schema: parquetSchema(schema) });
  writeFileSync(file, Buffer.from(buffer));
}

/** Events into `events/event_type=../year=../month=../day=../part-0.parquet`, validated against the lake schema. */
export function writeEvents(lakeDir: string, events: readonly { type: EventType; row: EventRow }[]): void {
  const byPartition = new Map<string, EventRow[]>();
  for (const { type, row } of events) {
    const keys = partitionKeysFor(type, new Date(EventRowSchema.parse(row).event_time));
    const dir = path.join(lakeDir, LAKE_PREFIXES.events, ...Object.entries(keys).map(([k, v]) => `${k}=${v}`));
    byPartition.set(dir, [...(byPartition.get(dir) ?? []), row]);
  }
  for (const [dir, rows] of byPartition) writeParquet(path.join(dir, "part-0.parquet"), EventRowSchema, rows);
}

/** One flow run's GA report, at `ga/<flow>/yyyy/MM/dd/<run id>.parquet`, validated against the GA schema. */
export function writeGaRun(lakeDir: string, flowName: string, runTime: Date, rows: readonly GaReportRow[]): string {
  const file = path.join(lakeDir, gaFlowPrefix(flowName), gaPartitionValue(runTime), `${runTime.getTime()}-part.parquet`);
  writeParquet(
    file,
    GaReportRowSchema,
    rows.map((r) => GaReportRowSchema.parse(r)),
  );
  return file;
}
