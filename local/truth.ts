/**
 * The true rows of every dashboard metric, counted from what the traffic
 * generator decided (this visitor is a bot, this range download reached the
 * last byte), never from running the pipeline. One truth function per metric
 * of the catalogue (queries/catalogue.ts), keyed by the metric id: a test fails
 * naming a metric without one, or one without a metric ({@link truthCoverage}).
 *
 * Where the generator cannot know a column (the city comes from GeoIP), the
 * truth function says which columns it does know (`comparedOn`), and the
 * comparison sums the query's rows over those ({@link comparedRows}).
 */
import { CATALOGUE, type Catalogue, DIMENSIONS, type Metric } from "../queries/catalogue";
import type { EventType } from "../schemas/event";
import { leadingTimestampMs, PROCESSING_FAILED } from "./firehose";

export type Row = Record<string, string | number>;
export type Device = "desktop" | "mobile" | "tablet";

/** What the generator decided about one line; the truth is counted from these. */
export interface Fact {
  readonly ts: number;
  readonly line: string;
  readonly kind: "event" | "dropped" | "malformed";
  readonly eventType?: EventType;
  readonly isBot?: boolean;
  readonly visitor?: string;
  readonly path?: string;
  readonly documentId?: string;
  readonly qrCode?: string;
  readonly status?: number;
  readonly complete?: boolean;
  readonly country?: string;
  readonly device?: Device;
  readonly referrerHost?: string | null;
  readonly utm?: { source: string; medium: string; campaign: string } | null;
}

/** A fact as a truth function sees it: with its UTC day and the arrival time Firehose would stamp. */
export interface CountedFact extends Fact {
  /** UTC day of the event, YYYY-MM-DD. */
  readonly day: string;
  /** Arrival time in ms (the line's own timestamp, or the last one seen for a line without one). */
  readonly arrival: number | undefined;
  /** The visitor as the pipeline counts unique visitors: per day (visitor ids rotate daily). */
  readonly dayVisitor: string;
}

/** The truth of one metric over one generated data set. */
export interface MetricTruth {
  /** A fresh counter. */
  start(): { add(f: CountedFact): void; rows(): Row[] };
  /**
   * The columns the generator knows, when it does not know them all: the query's rows are summed over these before
   * comparing. @default every column
   */
  readonly comparedOn?: readonly string[];
}

export interface Truth {
  readonly seed: number;
  readonly start: string;
  readonly days: number;
  readonly lines: number;
  /** Lines the transform must reject (ProcessingFailed). */
  readonly malformed: number;
  /** Health checks a drop rule removes (Dropped). */
  readonly dropped: number;
  /** Ok records per event type. */
  readonly eventTypes: Record<string, number>;
  /** Per metric id: the rows it must return, in its order (summed over `comparedOn` where the truth says so). */
  readonly queries: Record<string, Row[]>;
}

// ---------------------------------------------------------------- counting

const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/** Compare like SQL ORDER BY: numbers numerically, strings by code unit; `desc` marks descending keys. */
export function sortRows(rows: Row[], order: readonly (readonly [string, "asc" | "desc"])[]): Row[] {
  return rows.sort((a, b) => {
    for (const [col, dir] of order) {
      const x = a[col] as string | number;
      const y = b[col] as string | number;
      if (x === y) continue;
      const cmp = x < y ? -1 : 1;
      return dir === "asc" ? cmp : -cmp;
    }
    return 0;
  });
}

/** As the SQL's round(x, 4). */
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

type Order = readonly (readonly [string, "asc" | "desc"])[];

/**
 * A GROUP BY in JS: facts `where` selects, grouped by `key`, with `counts` summed and `distinct` values counted;
 * `derive` adds computed columns; sorted by `order`, at most `limit` rows.
 */
export function counted(spec: {
  readonly where: (f: CountedFact) => boolean;
  readonly key: (f: CountedFact) => Row;
  readonly counts?: Readonly<Record<string, (f: CountedFact) => number>>;
  readonly distinct?: Readonly<Record<string, (f: CountedFact) => string>>;
  readonly derive?: (row: Row) => Row;
  readonly order: Order;
  readonly limit?: number;
  readonly comparedOn?: readonly string[];
}): MetricTruth {
  return {
    ...(spec.comparedOn ? { comparedOn: spec.comparedOn } : {}),
    start() {
      const groups = new Map<string, { key: Row; counts: Record<string, number>; sets: Record<string, Set<string>> }>();
      return {
        add(f) {
          if (!spec.where(f)) return;
          const key = spec.key(f);
          const id = JSON.stringify(key);
          let g = groups.get(id);
          if (!g) {
            g = { key, counts: {}, sets: {} };
            groups.set(id, g);
          }
          for (const [col, count] of Object.entries(spec.counts ?? {})) g.counts[col] = (g.counts[col] ?? 0) + count(f);
          for (const [col, value] of Object.entries(spec.distinct ?? {})) {
            const set = g.sets[col] ?? new Set<string>();
            set.add(value(f));
            g.sets[col] = set;
          }
        },
        rows() {
          const rows = [...groups.values()].map(({ key, counts, sets }) => {
            const row: Row = { ...key, ...counts, ...Object.fromEntries(Object.entries(sets).map(([col, set]) => [col, set.size])) };
            return spec.derive ? { ...row, ...spec.derive(row) } : row;
          });
          const sorted = sortRows(rows, spec.order);
          return spec.limit === undefined ? sorted : sorted.slice(0, spec.limit);
        },
      };
    },
  };
}

const human = (type: EventType) => (f: CountedFact) => f.kind === "event" && !f.isBot && f.eventType === type;
const completeDownload = (f: CountedFact) => human("document_download")(f) && f.complete === true;
const one = () => 1;

/** How the generator knows each by-dimension column of a fact; null shows as the dimension's `missing` label, as in SQL. */
const FACT_DIMENSIONS: Readonly<Record<string, (f: Fact) => string | null | undefined>> = {
  [DIMENSIONS.country.column]: (f) => f.country,
  [DIMENSIONS.device_class.column]: (f) => f.device,
  [DIMENSIONS.referrer_host.column]: (f) => f.referrerHost,
};

function dimension(column: keyof typeof DIMENSIONS, f: Fact): string {
  const read = FACT_DIMENSIONS[column];
  if (!read) throw new Error(`the generator does not know the ${column} of an event`);
  return read(f) ?? DIMENSIONS[column].missing;
}

/** documents/by_dimension.sql: completed downloads per document and one dimension, in that template's order. */
const documentsBy = (column: keyof typeof DIMENSIONS) =>
  counted({
    where: completeDownload,
    key: (f) => ({ document_id: f.documentId as string, [column]: dimension(column, f) }),
    counts: { completed_downloads: one },
    order: [
      ["document_id", "asc"],
      ["completed_downloads", "desc"],
      [column, "asc"],
    ],
  });

/** qr/by_dimension.sql: scans per code and one dimension; `comparedOn` when the query adds columns the generator cannot know. */
const qrBy = (column: keyof typeof DIMENSIONS, comparedOn?: readonly string[]) =>
  counted({
    where: human("qr_scan"),
    key: (f) => ({ qr_code: f.qrCode as string, [column]: dimension(column, f) }),
    counts: { scans: one },
    order: comparedOn
      ? comparedOn.map((c) => [c, "asc"] as const)
      : [
          ["qr_code", "asc"],
          ["scans", "desc"],
          [column, "asc"],
        ],
    ...(comparedOn ? { comparedOn } : {}),
  });

/** qr/conversion.sql: a scan converts when the same visitor completes a download within 30 minutes after it, that day. */
const qrConversion: MetricTruth = {
  start() {
    const journeys = new Map<string, { scans: { ts: number; code: string }[]; downloads: number[] }>();
    const journey = (f: CountedFact) => {
      const j = journeys.get(f.dayVisitor) ?? { scans: [], downloads: [] };
      journeys.set(f.dayVisitor, j);
      return j;
    };
    return {
      add(f) {
        if (human("qr_scan")(f)) journey(f).scans.push({ ts: f.ts, code: f.qrCode as string });
        else if (completeDownload(f)) journey(f).downloads.push(f.ts);
      },
      rows() {
        const perCode = new Map<string, { scans: number; converted: number }>();
        for (const { scans, downloads } of journeys.values()) {
          for (const s of scans) {
            const e = perCode.get(s.code) ?? { scans: 0, converted: 0 };
            e.scans++;
            if (downloads.some((t) => t >= s.ts && t <= s.ts + 30 * 60_000)) e.converted++;
            perCode.set(s.code, e);
          }
        }
        return sortRows(
          [...perCode].map(([qr_code, e]) => ({
            qr_code,
            scans: e.scans,
            converted_scans: e.converted,
            conversion_rate: round4(e.converted / e.scans),
          })),
          [["qr_code", "asc"]],
        );
      },
    };
  },
};

/** health/errors_daily.sql: every malformed line is one processing-failed record on its arrival day. */
const healthErrorsDaily: MetricTruth = {
  start() {
    const days = new Map<string, { records: number; first: number; last: number }>();
    return {
      add(f) {
        if (f.kind !== "malformed") return;
        if (f.arrival === undefined) throw new Error("a malformed line came before any timestamp: the arrival day is undefined");
        const day = dayOf(f.arrival);
        const e = days.get(day) ?? { records: 0, first: f.arrival, last: f.arrival };
        e.records++;
        e.first = Math.min(e.first, f.arrival);
        e.last = Math.max(e.last, f.arrival);
        days.set(day, e);
      },
      rows() {
        return [...days]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([day, e]) => ({
            day,
            error_type: "processing-failed",
            error_code: PROCESSING_FAILED.code,
            records: e.records,
            first_arrival: new Date(e.first).toISOString(),
            last_arrival: new Date(e.last).toISOString(),
          }));
      },
    };
  },
};

/** The truth of every metric in the catalogue, by metric id. */
export const METRIC_TRUTHS: Readonly<Record<string, MetricTruth>> = {
  documents_daily: counted({
    where: (f) => human("document_download")(f),
    key: (f) => ({ day: f.day, document_id: f.documentId as string }),
    counts: { requests: one, completed_downloads: (f) => (f.complete === true ? 1 : 0), range_parts: (f) => (f.status === 206 ? 1 : 0) },
    distinct: { visitors: (f) => f.dayVisitor },
    order: [
      ["day", "asc"],
      ["document_id", "asc"],
    ],
  }),
  documents_top: counted({
    where: human("document_download"),
    key: (f) => ({ document_id: f.documentId as string }),
    counts: { completed_downloads: (f) => (f.complete === true ? 1 : 0) },
    distinct: { visitors: (f) => f.dayVisitor },
    order: [
      ["completed_downloads", "desc"],
      ["document_id", "asc"],
    ],
    limit: 100,
  }),
  documents_by_country: documentsBy("country"),
  documents_by_device: documentsBy("device_class"),
  documents_by_referrer: documentsBy("referrer_host"),
  qr_daily: counted({
    where: human("qr_scan"),
    key: (f) => ({ day: f.day, qr_code: f.qrCode as string }),
    counts: { scans: one },
    distinct: { visitors: (f) => f.dayVisitor },
    order: [
      ["day", "asc"],
      ["qr_code", "asc"],
    ],
  }),
  qr_by_country: qrBy("country"),
  // The city comes from GeoIP, which the generator does not predict: compared per code and country.
  qr_by_location: qrBy("country", ["qr_code", "country"]),
  qr_by_device: qrBy("device_class"),
  qr_by_hour: counted({
    where: human("qr_scan"),
    key: (f) => ({ hour_utc: new Date(f.ts).getUTCHours() }),
    counts: { scans: one },
    order: [["hour_utc", "asc"]],
  }),
  qr_conversion: qrConversion,
  traffic_daily: counted({
    where: human("page_view"),
    key: (f) => ({ day: f.day }),
    counts: { page_views: one },
    distinct: { visitors: (f) => f.dayVisitor },
    order: [["day", "asc"]],
  }),
  traffic_top_pages: counted({
    where: human("page_view"),
    key: (f) => ({ path: f.path as string }),
    counts: { page_views: one },
    distinct: { visitors: (f) => f.dayVisitor },
    order: [
      ["page_views", "desc"],
      ["path", "asc"],
    ],
    limit: 100,
  }),
  traffic_referrers: counted({
    where: human("page_view"),
    key: (f) => ({ referrer_host: dimension("referrer_host", f) }),
    counts: { page_views: one },
    order: [
      ["page_views", "desc"],
      ["referrer_host", "asc"],
    ],
    limit: 100,
  }),
  traffic_campaigns: counted({
    where: (f) => human("page_view")(f) && Boolean(f.utm),
    key: (f) => ({ utm_campaign: f.utm?.campaign as string, utm_source: f.utm?.source as string, utm_medium: f.utm?.medium as string }),
    counts: { page_views: one },
    distinct: { visitors: (f) => f.dayVisitor },
    order: [
      ["page_views", "desc"],
      ["utm_campaign", "asc"],
      ["utm_source", "asc"],
      ["utm_medium", "asc"],
    ],
  }),
  traffic_bots: counted({
    where: (f) => f.kind === "event",
    key: (f) => ({ day: f.day }),
    counts: { requests: one, bot_requests: (f) => (f.isBot ? 1 : 0) },
    derive: (r) => ({ bot_share: round4((r.bot_requests as number) / (r.requests as number)) }),
    order: [["day", "asc"]],
  }),
  health_errors_daily: healthErrorsDaily,
};

// ---------------------------------------------------------------- the builder

export class TruthBuilder {
  private lines = 0;
  private malformed = 0;
  private dropped = 0;
  private lastArrival: number | undefined;
  private readonly eventTypes: Record<string, number> = {};
  private readonly counters: [string, ReturnType<MetricTruth["start"]>][];

  constructor(truths: Readonly<Record<string, MetricTruth>> = METRIC_TRUTHS) {
    this.counters = Object.entries(truths).map(([id, t]) => [id, t.start()]);
  }

  add(f: Fact): void {
    this.lines++;
    const arrival = leadingTimestampMs(f.line) ?? this.lastArrival;
    if (arrival !== undefined) this.lastArrival = arrival;
    if (f.kind === "malformed") this.malformed++;
    else if (f.kind === "dropped") this.dropped++;
    else if (f.eventType) this.eventTypes[f.eventType] = (this.eventTypes[f.eventType] ?? 0) + 1;
    const day = dayOf(f.ts);
    const counted: CountedFact = { ...f, day, arrival, dayVisitor: `${day}|${f.visitor}` };
    for (const [, c] of this.counters) c.add(counted);
  }

  build(meta: { seed: number; start: string; days: number }): Truth {
    return {
      ...meta,
      lines: this.lines,
      malformed: this.malformed,
      dropped: this.dropped,
      eventTypes: this.eventTypes,
      queries: Object.fromEntries(this.counters.map(([id, c]) => [id, c.rows()])),
    };
  }
}

// ---------------------------------------------------------------- comparing

/**
 * Every mismatch between the catalogue's metrics and the truth functions, one line each: a metric without a truth
 * function, a truth function without a metric.
 */
export function truthCoverage(catalogue: Catalogue = CATALOGUE, truths: Readonly<Record<string, MetricTruth>> = METRIC_TRUTHS): string[] {
  const ids = new Set(catalogue.metrics.map((m) => m.id));
  return [
    ...catalogue.metrics
      .filter((m) => !(m.id in truths))
      .map((m) => `metric ${m.id} has no truth function (METRIC_TRUTHS in local/truth.ts)`),
    ...Object.keys(truths)
      .filter((id) => !ids.has(id))
      .map((id) => `truth function ${id} has no metric in the catalogue (queries/catalogue.ts)`),
  ];
}

/**
 * A query's rows as its truth can be compared with them: as they are, or summed over the truth's `comparedOn`
 * columns (numeric columns summed, ordered by those columns).
 */
export function comparedRows(
  metric: Metric,
  rows: readonly Readonly<Record<string, unknown>>[],
  truths: Readonly<Record<string, MetricTruth>> = METRIC_TRUTHS,
): Row[] {
  const by = truths[metric.id]?.comparedOn;
  const plain = (r: Readonly<Record<string, unknown>>): Row =>
    Object.fromEntries(metric.columns.map((c) => [c.name, r[c.name] as string | number]));
  if (!by) return rows.map(plain);
  const measures = metric.columns.filter((c) => (c.type === "integer" || c.type === "double") && !by.includes(c.name)).map((c) => c.name);
  const sums = new Map<string, Row>();
  for (const r of rows) {
    const key = Object.fromEntries(by.map((c) => [c, r[c] as string | number]));
    const id = JSON.stringify(key);
    const e = sums.get(id) ?? { ...key, ...Object.fromEntries(measures.map((m) => [m, 0])) };
    for (const m of measures) e[m] = (e[m] as number) + Number(r[m]);
    sums.set(id, e);
  }
  return sortRows(
    [...sums.values()],
    by.map((c) => [c, "asc"] as const),
  );
}
