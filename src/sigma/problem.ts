/**
 * Why one rule cannot run: thrown while compiling a rule and caught per rule, so the rest of a
 * pack still runs (and `strict` turns it into a ConfigurationError naming the rule file).
 */
export class RuleProblem extends Error {
  override readonly name = 'RuleProblem';
}
