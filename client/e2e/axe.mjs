// axe-core in the browser tests: the library's own source is injected into the page (never
// fetched from a CDN) and run against the WCAG 2.x A/AA rules; a serious or critical
// violation fails the test with what a person needs to fix it.
//
//   import { expectAccessible } from "./axe.mjs";
//   await expectAccessible(page, "quick switcher");                  // the whole page
//   await expectAccessible(page, "group DM dialog", { include: "[data-testid=group-dm]" });

import { createRequire } from "node:module";

const axe = createRequire(import.meta.url)("axe-core");

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const BLOCKING = new Set(["serious", "critical"]);

/** Runs axe on `page` (or on `include`, a CSS selector, only) and returns its violations. */
export async function axeViolations(page, { include } = {}) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axe.source });
  return page.evaluate(
    async ({ tags, include }) => {
      const result = await window.axe.run(include ? { include: [include] } : document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary ?? "" })),
      }));
    },
    { tags: WCAG_TAGS, include: include ?? null },
  );
}

/** One violation as a reader of the test log wants it: rule, impact, help, and each element. */
export function describeViolation(v) {
  const nodes = v.nodes.map((n) => `    ${n.target.join(" ")}\n      ${n.summary.replace(/\n/g, "\n      ")}`).join("\n");
  return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
}

/** Fails when axe finds a serious or critical WCAG A/AA violation on the screen; minor and
 * moderate ones are logged. `screenName` names the screen in the message. */
export async function expectAccessible(page, screenName, options = {}) {
  const violations = await axeViolations(page, options);
  const blocking = violations.filter((v) => BLOCKING.has(v.impact));
  const other = violations.filter((v) => !BLOCKING.has(v.impact));
  if (other.length > 0) console.log(`axe, ${screenName}: ${other.length} minor/moderate\n${other.map(describeViolation).join("\n")}`);
  if (blocking.length > 0) {
    throw new Error(`axe: ${blocking.length} serious/critical violation(s) on "${screenName}":\n${blocking.map(describeViolation).join("\n")}`);
  }
}
