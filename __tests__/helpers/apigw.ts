/** Real API Gateway HTTP API (payload 2.0) events from __tests__/events/apigw, with one part changed per test. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

export type ApigwFixture = "post-view" | "get-counts" | "default-route";

export function apigwEvent(name: ApigwFixture): APIGatewayProxyEventV2 {
  return JSON.parse(readFileSync(path.join(__dirname, "..", "events", "apigw", `${name}.json`), "utf8")) as APIGatewayProxyEventV2;
}

export interface EventChanges {
  method?: string;
  /** Raw (still percent-encoded) path. */
  path?: string;
  /** Headers to set; `undefined` removes one. */
  headers?: Record<string, string | undefined>;
  /** Body; `null` removes it. */
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** A POST-view event (or another fixture) with some parts changed. */
export function viewEvent(changes: EventChanges = {}, fixture: ApigwFixture = "post-view"): APIGatewayProxyEventV2 {
  const event = structuredClone(apigwEvent(fixture));
  if (changes.method) event.requestContext.http.method = changes.method;
  if (changes.path !== undefined) {
    event.rawPath = changes.path;
    event.requestContext.http.path = changes.path;
  }
  for (const [k, v] of Object.entries(changes.headers ?? {})) {
    if (v === undefined) delete event.headers[k];
    else event.headers[k] = v;
  }
  if (changes.body === null) delete event.body;
  else if (changes.body !== undefined) event.body = changes.body;
  if (changes.isBase64Encoded !== undefined) event.isBase64Encoded = changes.isBase64Encoded;
  return event;
}

export function pageEvent(pageId: string, changes: EventChanges = {}): APIGatewayProxyEventV2 {
  return viewEvent({ path: `/v1/pages/${pageId}/views`, ...changes });
}
