/**
 * Column builders: small zod bases that also carry the column's lake type.
 *
 * A table schema is a `z.object` of these. Its key order is the column order,
 * and every derived form (Glue columns, Athena DDL, Parquet schema, JSON
 * Schema) reads names, order, nullability and types from it, so a rename or a
 * retype is one edit here and nowhere else.
 */
import * as z from "zod";

/** The lake types a column can have, named by their Hive/Athena type. */
export type LakeType = "string" | "int" | "bigint" | "double" | "boolean" | "timestamp";

export interface ColumnMeta {
  readonly lakeType: LakeType;
  readonly description: string;
}

/** Registry from a column's zod schema to its lake metadata. */
export const columnRegistry = z.registry<ColumnMeta>();

/** ISO-8601 instant in UTC with milliseconds, e.g. `2025-06-01T12:00:00.123Z`: what Firehose's OpenX SerDe reads into a timestamp. */
const isoInstant = z.iso.datetime({ precision: 3 });

function column<T extends z.ZodType>(schema: T, lakeType: LakeType, description: string) {
  const nullable = schema.nullable();
  columnRegistry.add(nullable, { lakeType, description });
  return nullable;
}

function required<T extends z.ZodType>(schema: T, lakeType: LakeType, description: string) {
  columnRegistry.add(schema, { lakeType, description });
  return schema;
}

const INT32_MAX = 2_147_483_647;

/** Nullable columns unless `.required` is used: logs have holes, and `null` is honest. */
export const col = {
  string: (description: string, max = 4096) => column(z.string().max(max), "string", description),
  int: (description: string) =>
    column(
      z
        .number()
        .int()
        .min(-INT32_MAX - 1)
        .max(INT32_MAX),
      "int",
      description,
    ),
  bigint: (description: string) =>
    column(z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), "bigint", description),
  double: (description: string) => column(z.number().finite(), "double", description),
  boolean: (description: string) => column(z.boolean(), "boolean", description),
  timestamp: (description: string) => column(isoInstant, "timestamp", description),
  required: {
    string: (description: string, max = 4096) => required(z.string().min(1).max(max), "string", description),
    int: (description: string) =>
      required(
        z
          .number()
          .int()
          .min(-INT32_MAX - 1)
          .max(INT32_MAX),
        "int",
        description,
      ),
    boolean: (description: string) => required(z.boolean(), "boolean", description),
    timestamp: (description: string) => required(isoInstant, "timestamp", description),
    enum: <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
      required(z.enum(values), "string", description),
  },
};

export interface ColumnDef {
  readonly name: string;
  readonly lakeType: LakeType;
  readonly nullable: boolean;
  readonly description: string;
}

/**
 * The columns of a table schema, in order. Throws if a key was not built with
 * {@link col}: a plain zod type has no lake type to derive.
 */
export function columnsOf(schema: z.ZodObject): ColumnDef[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const meta = columnRegistry.get(field as z.ZodType);
    if (!meta) throw new Error(`column ${name} was not built with col.*: no lake type is known for it`);
    return { name, lakeType: meta.lakeType, nullable: (field as z.ZodType).safeParse(null).success, description: meta.description };
  });
}
