/**
 * The rule engine of the security rule pack: pure functions over a stack's
 * synthesized Terraform JSON, so a rule sees exactly what Terraform will see.
 */

export interface SynthResource {
  /** `aws_s3_bucket` or `data.aws_iam_policy_document`. */
  readonly type: string;
  readonly name: string;
  /** Terraform address, e.g. `aws_s3_bucket.lake_bucket_1A2B3C` or `data.aws_iam_policy_document.x`. */
  readonly address: string;
  readonly config: Record<string, unknown>;
}

export interface RuleContext {
  /** All resources (or data sources, as `data.<type>`) of a type. */
  all(type: string): SynthResource[];
  /** Resources of a type whose configuration refers to `target`. */
  referencing(type: string, target: SynthResource): SynthResource[];
  /** The resource a reference string such as `${data.aws_iam_policy_document.x.json}` points at. */
  deref(value: unknown): SynthResource | undefined;
}

export interface Rule {
  /** Stable id, used in messages and suppressions, e.g. `S3-ENCRYPTION`. */
  readonly id: string;
  /** Resource type checked; `data.<type>` for data sources. */
  readonly appliesTo: string;
  /** What the rule asks for and why; modelled after cdk-nag AwsSolutions / checkov, whose ids are cited. */
  readonly description: string;
  /** A violation's reason, or undefined when the resource passes. */
  check(resource: SynthResource, ctx: RuleContext): string | undefined;
}

export interface Violation {
  readonly ruleId: string;
  readonly address: string;
  readonly reason: string;
}

type TfJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
};

export function resourcesOf(json: TfJson): SynthResource[] {
  const out: SynthResource[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) out.push({ type, name, address: `${type}.${name}`, config });
  }
  for (const [type, byName] of Object.entries(json.data ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      out.push({ type: `data.${type}`, name, address: `data.${type}.${name}`, config });
    }
  }
  return out;
}

export function contextFor(resources: readonly SynthResource[]): RuleContext {
  const byType = new Map<string, SynthResource[]>();
  const byAddress = new Map<string, SynthResource>();
  const text = new Map<SynthResource, string>();
  for (const r of resources) {
    byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
    byAddress.set(r.address, r);
  }
  const textOf = (r: SynthResource) => {
    let t = text.get(r);
    if (t === undefined) {
      t = JSON.stringify(r.config);
      text.set(r, t);
    }
    return t;
  };
  return {
    all: (type) => byType.get(type) ?? [],
    referencing: (type, target) => (byType.get(type) ?? []).filter((r) => textOf(r).includes(`\${${target.address}.`)),
    deref: (value) => {
      if (typeof value !== "string") return undefined;
      const m = /^\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(value);
      return m ? byAddress.get(m[1] as string) : undefined;
    },
  };
}

/** Evaluate rules over one stack's JSON; `suppressed(address, ruleId)` says whether a violation was waived with a reason. */
export function evaluate(
  json: TfJson,
  rules: readonly Rule[],
  suppressed: (address: string, ruleId: string) => boolean = () => false,
): Violation[] {
  const resources = resourcesOf(json);
  const ctx = contextFor(resources);
  const violations: Violation[] = [];
  for (const rule of rules) {
    for (const r of ctx.all(rule.appliesTo)) {
      const reason = rule.check(r, ctx);
      if (reason !== undefined && !suppressed(r.address, rule.id)) violations.push({ ruleId: rule.id, address: r.address, reason });
    }
  }
  return violations;
}

/** Helpers for rules that read blocks: Terraform JSON writes a block as an object or a list of objects. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
  if (typeof value === "object" && value !== null) return [value as Record<string, unknown>];
  return [];
}

export function strings(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}
