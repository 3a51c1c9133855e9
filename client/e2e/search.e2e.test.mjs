// Search grows (issue 21.5) as a person uses it: `OR`, `-word`, `has:link`, `in:@handle` and a
// day in the browser's own time zone (the page sends it), with the operators listed in the
// results panel.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, screenshot, seedMessages, signIn, suite } from "./harness.mjs";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

// UTC+14 and UTC-11: never on the same date.
const FAR_EAST = "Pacific/Kiritimati";
const FAR_WEST = "Pacific/Pago_Pago";
const dayIn = (timeZone) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

/** Runs `q` in the search box and returns the snippets shown once that query's answer is in. */
async function results(page, q) {
  await page.getByTestId("search-input").fill(q);
  await page.getByTestId("search-input").press("Enter");
  const panel = page.getByTestId("search-panel");
  await panel.locator(`[data-testid="search-results"][aria-busy="false"]`).and(panel.locator(`[data-query="${q.replaceAll('"', '\\"')}"]`)).waitFor({ state: "attached" });
  return (await panel.getByTestId("search-result").locator(".snippet").allInnerTexts()).sort();
}

test("OR, -word, has:link, in:@handle and on: in the browser's time zone find what a person expects", async () => {
  const bobToken = await stack.token("acme", "bob", "Bob");
  const random = await conversationId(stack, bobToken, "random");
  await seedMessages(stack, bobToken, random, [
    "deploy the api tonight",
    "release the api tomorrow",
    "deploy to staging first",
    "the release runbook is at https://example.com/runbook",
    "`https://example.com` in code is no link",
  ]);
  const aliceToken = await stack.token("acme", "alice", "Alice");
  const dm = await stack.api(aliceToken, "POST", "/api/v1/chat/dms", { userId: "bob" });
  assert.ok(dm.status < 300, JSON.stringify(dm.body));
  await seedMessages(stack, bobToken, dm.body.id, ["a private deploy note for alice"]);
  // The index follows the store: wait until the last message is searchable.
  for (let i = 0; ; i++) {
    const r = await stack.api(aliceToken, "GET", `/api/v1/chat/search?q=${encodeURIComponent("private note")}`);
    if (r.body?.items?.length === 1) break;
    if (i > 100) throw new Error("the index never caught up");
    await new Promise((done) => setTimeout(done, 100));
  }

  const context = await browser("alice-search", { timezoneId: FAR_EAST });
  contexts.push(context);
  const page = await signIn(context, stack, "alice");
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), FAR_EAST);

  assert.deepEqual(await results(page, "deploy OR release api"), ["deploy the api tonight", "release the api tomorrow"]);
  const marks = await page.getByTestId("search-result").locator("mark").allInnerTexts();
  assert.deepEqual([...new Set(marks)].sort(), ["api", "deploy", "release"], "what matched is highlighted");
  await screenshot(page, "search-or");

  assert.deepEqual(await results(page, "deploy -staging -private"), ["deploy the api tonight"]);
  assert.deepEqual(await results(page, "has:link"), ["the release runbook is at https://example.com/runbook"]);
  assert.deepEqual(await results(page, "deploy in:@bob"), ["a private deploy note for alice"]);

  // Today in the browser's zone finds today's messages; the same date string is another day in
  // a zone 25 hours behind, so "on:" that day there finds nothing.
  assert.equal((await results(page, `deploy on:${dayIn(FAR_EAST)}`)).length, 3);
  assert.deepEqual(await results(page, `deploy on:${dayIn(FAR_WEST)}`), []);
  await page.getByTestId("search-panel").getByText("No messages found.").waitFor();

  // A misplaced OR says how to write it, and the operators are listed.
  await results(page, "deploy OR");
  await page.getByTestId("search-panel").getByText("The search needs OR between two words or phrases, like deploy OR release").waitFor();
  await page.getByTestId("search-help").getByText("Search operators").click();
  for (const op of ["deploy OR release", "-staging", "has:link", "in:@bob", "on:2026-11-26", "before: after:"]) {
    assert.ok(await page.getByTestId("search-help").getByText(op, { exact: true }).isVisible(), op);
  }
  await screenshot(page, "search-help");
});
