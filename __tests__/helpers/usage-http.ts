/**
 * The usage API handler behind a real HTTP server on 127.0.0.1 (ephemeral
 * port): each request becomes an API Gateway HTTP API (payload 2.0) event, as
 * API Gateway would build it, and the handler's result becomes the response.
 * `dropResponses` lets a test lose the first N responses after the handler ran
 * (the socket is destroyed), as a flaky network would.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { UsageApiHandler } from "../../handlers/usage-stats/app";

export interface UsageHttpServer {
  readonly url: string;
  /** Requests the handler has answered (dropped ones included). */
  readonly handled: number;
  dropResponses(count: number): void;
  close(): Promise<void>;
}

export interface EventOptions {
  /**
   * The stage the request reached. A named stage's segment stays in rawPath and http.path, as API Gateway
   * delivers it; only `$default` is served at the root. @default "$default"
   */
  readonly stage?: string;
}

/** The API Gateway HTTP API (payload 2.0) event for a request, as API Gateway would build it. */
export async function eventOf(req: IncomingMessage, options: EventOptions = {}): Promise<APIGatewayProxyEventV2> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
  const method = req.method ?? "GET";
  const body = Buffer.concat(chunks).toString("utf8");
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "local",
      domainName: url.host,
      domainPrefix: "local",
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: req.socket.remoteAddress ?? "",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: `local-${now.getTime()}`,
      routeKey: "$default",
      stage: options.stage ?? "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}

export async function startUsageHttp(handler: UsageApiHandler): Promise<UsageHttpServer> {
  let drop = 0;
  let handled = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const result = await handler(await eventOf(req));
      handled++;
      if (drop > 0) {
        drop--;
        req.socket.destroy();
        return;
      }
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(result.body ?? "");
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get handled() {
      return handled;
    },
    dropResponses: (n) => {
      drop = n;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
