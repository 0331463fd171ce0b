import { readFileSync } from "node:fs";
import * as path from "node:path";
import { createTableDdl, EVENT_PARTITIONS, eventsTableSpec, projectionParameters } from "../../schemas";
import { GENERATED_DIR, generatedFiles } from "../../scripts/generate";

describe("generated schema files", () => {
  it.each(Object.keys(generatedFiles()))("schemas/generated/%s is up to date (run `npm run gen`)", (name) => {
    expect(readFileSync(path.join(GENERATED_DIR, name), "utf8")).toBe(generatedFiles()[name]);
  });

  it("the events DDL text", () => {
    expect(createTableDdl(eventsTableSpec("analytics", "example-lake-bucket"))).toMatchSnapshot();
  });
});

describe("partition projection", () => {
  const params = projectionParameters("s3://lake/events/", EVENT_PARTITIONS);

  it("projects event_type as an enum of the schema's event types", () => {
    expect(params["projection.event_type.type"]).toBe("enum");
    expect(params["projection.event_type.values"]).toBe("document_download,qr_scan,page_view,asset,api_call,other");
  });

  it("projects month and day as zero-padded integers", () => {
    expect(params).toMatchObject({
      "projection.month.type": "integer",
      "projection.month.range": "1,12",
      "projection.month.digits": "2",
      "projection.day.range": "1,31",
      "projection.day.digits": "2",
    });
  });

  it("templates the location in partition-key order", () => {
    expect(params["storage.location.template"]).toBe("s3://lake/events/event_type=${event_type}/year=${year}/month=${month}/day=${day}/");
  });

  it("refuses a location without a trailing slash", () => {
    expect(() => projectionParameters("s3://lake/events", EVENT_PARTITIONS)).toThrow(/must end with '\/'/);
  });
});
