/**
 * Classification and drop rules (schemas/transform-config.ts), compiled once
 * into matchers. The first classification rule that matches gives the event
 * type and the ids its path groups or query parameters carry.
 */
import type { EventType } from "../../schemas/event";
import type { ClassificationRule, DropRule, TransformConfig } from "../../schemas/transform-config";

/** What the rules can look at, for one request. */
export interface RequestFacts {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly method: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly userAgent: string | null;
  /** Host the viewer asked for, lower case. */
  readonly host: string | null;
  readonly referrer: URL | null;
}

export interface Classification {
  readonly eventType: EventType;
  readonly rule: string | null;
  readonly documentId: string | null;
  readonly qrCode: string | null;
}

type Matcher = (facts: RequestFacts) => RegExpExecArray | true | null;

type MatchFields = Omit<DropRule, "name">;

function statusMatcher(specs: readonly (number | string)[]): (status: number) => boolean {
  const exact = new Set(specs.filter((s): s is number => typeof s === "number"));
  const classes = new Set(specs.filter((s): s is string => typeof s === "string").map((s) => Number(s[0])));
  return (status) => exact.has(status) || classes.has(Math.floor(status / 100));
}

/** One predicate per condition of a rule; all must hold. The path regex's match is returned for its named groups. */
function compileMatch(rule: MatchFields): Matcher {
  const checks: ((f: RequestFacts) => boolean)[] = [];
  const flags = rule.ignoreCase ? "i" : "";
  if (rule.query) {
    const params = Object.entries(rule.query).map(
      ([name, cond]) => [name, cond === true ? null : new RegExp(`^(?:${cond})$`, flags)] as const,
    );
    checks.push((f) =>
      params.every(([name, re]) => {
        const value = f.query.get(name);
        return value !== null && value !== "" && (re === null || re.test(value));
      }),
    );
  }
  if (rule.method) {
    const methods = new Set(rule.method);
    checks.push((f) => methods.has(f.method));
  }
  if (rule.status) {
    const ok = statusMatcher(rule.status);
    checks.push((f) => ok(f.status));
  }
  if (rule.contentType) {
    const re = new RegExp(rule.contentType, "i");
    checks.push((f) => f.contentType !== null && re.test(f.contentType));
  }
  if (rule.userAgent) {
    const re = new RegExp(rule.userAgent);
    checks.push((f) => f.userAgent !== null && re.test(f.userAgent));
  }
  if (rule.notReferrerPath) {
    const re = new RegExp(rule.notReferrerPath);
    checks.push((f) => !(f.referrer !== null && f.host !== null && f.referrer.hostname === f.host && re.test(f.referrer.pathname)));
  }
  const pathRe = rule.path ? new RegExp(rule.path, flags) : null;
  // The other conditions first: they are cheaper than most path patterns (the document-response one scans the path).
  return (facts) => {
    for (const check of checks) if (!check(facts)) return null;
    return pathRe ? pathRe.exec(facts.path) : true;
  };
}

const fromParam = (facts: RequestFacts, name: string | undefined): string | null => (name ? facts.query.get(name) || null : null);

const OTHER: Classification = Object.freeze({ eventType: "other", rule: null, documentId: null, qrCode: null });

export class Rules {
  private readonly classifiers: { rule: ClassificationRule; match: Matcher }[];
  private readonly drops: { name: string; match: Matcher }[];

  constructor(config: Pick<TransformConfig, "classification" | "dropRules">) {
    this.classifiers = config.classification.map((rule) => ({ rule, match: compileMatch(rule) }));
    this.drops = config.dropRules.map((rule) => ({ name: rule.name, match: compileMatch(rule) }));
  }

  /** Name of the first drop rule the request matches, or null. */
  dropRule(facts: RequestFacts): string | null {
    for (const d of this.drops) if (d.match(facts)) return d.name;
    return null;
  }

  classify(facts: RequestFacts): Classification {
    for (const { rule, match } of this.classifiers) {
      const m = match(facts);
      if (!m) continue;
      const groups = m === true ? undefined : m.groups;
      return {
        eventType: rule.eventType,
        rule: rule.name,
        documentId: groups?.document_id || fromParam(facts, rule.idParams?.document_id),
        qrCode: groups?.qr_code || fromParam(facts, rule.idParams?.qr_code),
      };
    }
    return OTHER;
  }
}
