/**
 * The sample site's objects in the site bucket: every file of `site/` as is,
 * the catalog-rendered pages, the QR landing pages and `config.js`, each with
 * its content type and a content-hash etag so a change redeploys exactly the
 * objects that changed. The files travel with the synthesized stack as one
 * directory asset, so `terraform plan` runs from cdktf.out alone.
 */
import * as path from "node:path";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { AssetType, TerraformAsset, Token } from "cdktf";
import { Construct } from "constructs";
import { SITE_DIR, siteObjects } from "../site-manifest";
import type { SecureBucket } from "./secure-bucket";

export interface SiteContentProps {
  /** Bucket the objects go to (SSE-S3, so an object's ETag is its MD5). */
  readonly bucket: SecureBucket;
  /** Site directory. @default the repository's site/ */
  readonly siteDir?: string;
  /** Usage API base URL written into config.js: the same-origin path, e.g. `/api`. @default none: config.js says null and the counter stays hidden */
  readonly usageApiUrl?: string;
}

/** Terraform reads `${` and `%{` in a literal string as template syntax; generated HTML must not. */
function escapeTemplate(s: string): string {
  return s.replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}

export class SiteContent extends Construct {
  /** S3 key -> object. */
  readonly objects = new Map<string, S3Object>();

  constructor(scope: Construct, id: string, props: SiteContentProps) {
    super(scope, id);
    const siteDir = props.siteDir ?? SITE_DIR;
    if (props.usageApiUrl !== undefined && Token.isUnresolved(props.usageApiUrl)) {
      // config.js is rendered and hashed at synth; a reference would leave both unknown until apply.
      throw new Error(`${this.node.path}: usageApiUrl must be known at synth (the same-origin path, e.g. /api)`);
    }
    const objects = siteObjects({ siteDir, usageApiUrl: props.usageApiUrl });
    const asset = new TerraformAsset(this, "files", { path: siteDir, type: AssetType.DIRECTORY });

    for (const o of objects) {
      const content = o.content !== undefined ? escapeTemplate(o.content) : undefined;
      const object = new S3Object(this, o.key.replace(/[^A-Za-z0-9-]/g, "_"), {
        bucket: props.bucket.name,
        key: o.key,
        source: o.sourceFile !== undefined ? path.posix.join(asset.path, o.sourceFile) : undefined,
        content,
        contentType: o.contentType,
        cacheControl: o.cacheControl,
        etag: o.etag,
      });
      this.objects.set(o.key, object);
    }
  }

  /** Whether the site has an object with this key. */
  has(key: string): boolean {
    return this.objects.has(key);
  }
}
