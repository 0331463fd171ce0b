/**
 * A local S3-API stand-in: an HTTP server that answers the real S3 client's
 * path-style PutObject and GetObject (and nothing else), keeping objects in
 * memory. The code under test talks to it through the real @aws-sdk/client-s3,
 * so request signing, key encoding and body streaming are the SDK's own.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client } from "@aws-sdk/client-s3";

export interface StoredObject {
  readonly body: Buffer;
  readonly lastModified: Date;
  readonly contentType?: string;
}

export interface S3StandIn {
  readonly client: S3Client;
  /** `bucket` -> key -> object. */
  readonly buckets: Map<string, Map<string, StoredObject>>;
  /** Requests seen, as `METHOD bucket/key`. */
  readonly requests: string[];
  put(bucket: string, key: string, body: Buffer, lastModified?: Date): void;
  close(): Promise<void>;
}

const noSuchKey = (key: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key}</Key></Error>`;

export async function startS3StandIn(): Promise<S3StandIn> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const requests: string[] = [];
  const bucket = (name: string) => {
    const b = buckets.get(name) ?? new Map<string, StoredObject>();
    buckets.set(name, b);
    return b;
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, name = "", ...rest] = url.pathname.split("/");
    const key = rest.map(decodeURIComponent).join("/");
    requests.push(`${req.method} ${name}/${key}`);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "PUT") {
        const body = Buffer.concat(chunks);
        bucket(name).set(key, { body, lastModified: new Date(), contentType: req.headers["content-type"] });
        res.writeHead(200, { ETag: `"${createHash("md5").update(body).digest("hex")}"` }).end();
      } else if (req.method === "GET") {
        const o = buckets.get(name)?.get(key);
        if (!o) {
          res.writeHead(404, { "Content-Type": "application/xml" }).end(noSuchKey(key));
          return;
        }
        res
          .writeHead(200, {
            "Content-Length": o.body.length,
            "Content-Type": o.contentType ?? "application/octet-stream",
            "Last-Modified": o.lastModified.toUTCString(),
            ETag: `"${createHash("md5").update(o.body).digest("hex")}"`,
          })
          .end(o.body);
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  return {
    client,
    buckets,
    requests,
    put: (b, k, body, lastModified = new Date()) => bucket(b).set(k, { body, lastModified }),
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
