import {
  EVENT_TYPES,
  firehoseErrorPrefix,
  firehoseEventsPrefix,
  PARTITION_KEYS,
  PartitionKeysSchema,
  partitionKeysFor,
} from "../../schemas";

describe("lake layout", () => {
  it("the Firehose prefix names every partition key, in order, from the Lambda", () => {
    expect(firehoseEventsPrefix()).toBe(
      "events/event_type=!{partitionKeyFromLambda:event_type}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/",
    );
  });

  it("the error prefix has the error-output-type and no partitionKeyFrom namespace (Firehose rejects it)", () => {
    expect(firehoseErrorPrefix()).toContain("!{firehose:error-output-type}");
    expect(firehoseErrorPrefix()).not.toContain("partitionKeyFrom");
    expect(firehoseEventsPrefix()).not.toContain("!{firehose:error-output-type}");
  });

  it.each([
    ["2024-02-29T12:00:00.000Z", { year: "2024", month: "02", day: "29" }],
    ["2025-01-01T00:00:00.000Z", { year: "2025", month: "01", day: "01" }],
    ["2024-12-31T23:59:59.999Z", { year: "2024", month: "12", day: "31" }],
  ])("partition keys of %s are zero-padded UTC", (iso, expected) => {
    const keys = partitionKeysFor("page_view", new Date(iso));
    expect(keys).toEqual({ event_type: "page_view", ...expected });
    expect(PartitionKeysSchema.parse(keys)).toEqual(keys);
  });

  it("rejects partition keys that would not match the projection", () => {
    expect(PartitionKeysSchema.safeParse({ event_type: "page_view", year: "2024", month: "6", day: "01" }).success).toBe(false);
    expect(PartitionKeysSchema.safeParse({ event_type: "click", year: "2024", month: "06", day: "01" }).success).toBe(false);
    expect(PartitionKeysSchema.safeParse({ event_type: "page_view", year: "2024", month: "13", day: "01" }).success).toBe(false);
  });

  it("partition keys are event_type/year/month/day and every event type is known", () => {
    expect(PARTITION_KEYS).toEqual(["event_type", "year", "month", "day"]);
    expect(EVENT_TYPES).toContain("qr_scan");
  });
});
