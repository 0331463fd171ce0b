/**
 * Realistic CloudFront real-time log lines and Firehose transformation events
 * built from them, for the transform's fixtures, tests and benchmark.
 */
import { formatLogLine, type RealtimeLogField } from "../../schemas/cloudfront";

export type LineValues = Partial<Record<RealtimeLogField, string | number | null>>;

/** User agents as browsers, crawlers and tools send them (unencoded; formatLogLine encodes like CloudFront). */
export const USER_AGENTS = {
  chromeWindows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  chromeMac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  safariIpad:
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  chromeAndroid:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
  firefoxLinux: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  edgeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
  samsungAndroid:
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
  googlebot: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  bingbot:
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
  curl: "curl/8.5.0",
  pythonRequests: "python-requests/2.31.0",
  uptimeRobot: "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
} as const;

let sequence = 0;

/** A request id as CloudFront writes them (base64url-ish, 56 characters). */
export function requestId(n: number = ++sequence): string {
  const body = Buffer.from(`request-${n}-${"x".repeat(24)}`)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 52);
  return `${body}==`;
}

/** A page view from a desktop Chrome in Berlin, on 2025-06-01; override any field. */
export function lineValues(overrides: LineValues = {}): LineValues {
  return {
    timestamp: 1748779200.123, // 2025-06-01T12:00:00.123Z
    "c-ip": "85.214.132.117",
    "time-to-first-byte": 0.012,
    "sc-status": 200,
    "sc-bytes": 5321,
    "cs-method": "GET",
    "cs-protocol": "https",
    "cs-host": "d111111abcdef8.cloudfront.net",
    "cs-uri-stem": "/index.html",
    "cs-bytes": 412,
    "x-edge-location": "FRA56-P1",
    "x-edge-request-id": requestId(),
    "x-host-header": "www.example.com",
    "time-taken": 0.034,
    "cs-protocol-version": "HTTP/2.0",
    "c-ip-version": "IPv4",
    "cs-user-agent": USER_AGENTS.chromeWindows,
    "cs-referer": "https://www.google.com/",
    "cs-uri-query": null,
    "x-edge-response-result-type": "Hit",
    "x-edge-result-type": "Hit",
    "sc-content-type": "text/html",
    "sc-content-len": 5012,
    "sc-range-start": null,
    "sc-range-end": null,
    "x-edge-detailed-result-type": "Hit",
    "c-country": "DE",
    "cs-accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    asn: 6724,
    ...overrides,
  };
}

export function line(overrides: LineValues = {}): string {
  return formatLogLine(lineValues(overrides));
}

/** The Firehose data-transformation event for a Kinesis source, one record per line (as CloudFront writes them, newline-terminated). */
export function firehoseEvent(records: (string | Buffer)[], arrivalMs = 1748779260000) {
  return {
    invocationId: "a7f1c2d4-51b8-4d0e-9c3a-2f6b8e1d9a07",
    deliveryStreamArn: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/webstats-dev-events",
    sourceKinesisStreamArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/webstats-dev-logs",
    region: "eu-west-1",
    records: records.map((r, i) => {
      const bytes = typeof r === "string" ? Buffer.from(`${r}\n`) : r;
      const sequenceNumber = `4964698668313554428650745793632162567570019247115678${String(5154 + i).padStart(4, "0")}`;
      return {
        recordId: `${sequenceNumber}0000000000`,
        approximateArrivalTimestamp: arrivalMs + i,
        data: bytes.toString("base64"),
        kinesisRecordMetadata: {
          shardId: "shardId-000000000000",
          partitionKey: `${1000 + i}`,
          approximateArrivalTimestamp: arrivalMs + i,
          sequenceNumber,
          subsequenceNumber: 0,
        },
      };
    }),
  };
}
