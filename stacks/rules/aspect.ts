/**
 * The rule pack as a cdktf Aspect: at synth it evaluates every rule over the
 * stack's Terraform JSON and fails with the rule id, the resource and the
 * reason. A violation is waived only by {@link suppressRule} with a reason.
 */
import { type IAspect, TerraformDataSource, TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { evaluate, type Rule, type Violation } from "./engine";
import { RULES } from "./rules";

const SUPPRESSIONS = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Waive a rule for a construct and everything below it. The reason is
 * required and kept with the code, where a reviewer reads it.
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string): void {
  if (reason.trim().length < 10) throw new Error(`suppression of ${ruleId} at ${scope.node.path} needs a written reason`);
  const map = SUPPRESSIONS.get(scope) ?? new Map<string, string>();
  map.set(ruleId, reason);
  SUPPRESSIONS.set(scope, map);
}

/** The reason a rule is suppressed for this construct or an ancestor, if it is. */
export function suppressionReason(construct: IConstruct, ruleId: string): string | undefined {
  for (const scope of construct.node.scopes.slice().reverse()) {
    const reason = SUPPRESSIONS.get(scope)?.get(ruleId);
    if (reason) return reason;
  }
  return undefined;
}

export class RuleViolationError extends Error {
  constructor(
    readonly stack: string,
    readonly violations: Violation[],
  ) {
    super(
      `security rule pack: ${violations.length} violation(s) in stack ${stack}:\n` +
        violations.map((v) => `  [${v.ruleId}] ${v.address}: ${v.reason}`).join("\n"),
    );
    this.name = "RuleViolationError";
  }
}

function terraformAddress(c: IConstruct): string | undefined {
  if (c instanceof TerraformResource) return `${c.terraformResourceType}.${c.friendlyUniqueId}`;
  if (c instanceof TerraformDataSource) return `data.${c.terraformResourceType}.${c.friendlyUniqueId}`;
  return undefined;
}

export class RulePackAspect implements IAspect {
  constructor(private readonly rules: readonly Rule[] = RULES) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack)) return;
    const byAddress = new Map<string, IConstruct>();
    for (const c of node.node.findAll()) {
      const address = terraformAddress(c);
      if (address) byAddress.set(address, c);
    }
    const violations = evaluate(node.toTerraform(), this.rules, (address, ruleId) => {
      const c = byAddress.get(address);
      return c !== undefined && suppressionReason(c, ruleId) !== undefined;
    });
    if (violations.length) throw new RuleViolationError(node.node.id, violations);
  }
}
