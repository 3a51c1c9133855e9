// Unread and mention badges in the browser: bob's badge rises as alice writes, an @bob mention
// (picked from the autocomplete) shows the mention badge, and reading in one tab clears the
// badge in bob's other tab.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, screenshot, signIn, suite, waitForStatus } from "./harness.mjs";

const { stack, contexts } = suite(before, after);

function badge(page, channel) {
  return page.getByTestId(`conv-${channel}`).getByTestId("unread-badge");
}

test("badges rise, mentions show, and reading clears every tab", async () => {
  const aliceContext = await browser("alice-badges");
  const bobContext = await browser("bob-badges");
  contexts.push(aliceContext, bobContext);
  const alice = await signIn(aliceContext, stack, "alice");
  const bobTab1 = await signIn(bobContext, stack, "bob");
  const bobTab2 = await bobContext.newPage();
  await bobTab2.goto(stack.url);
  await bobTab2.getByTestId("signin-bob").click();
  await waitForStatus(bobTab2, "connected");

  await alice.getByTestId("conv-random").click();
  for (const text of ["first news", "second news"]) {
    await alice.getByTestId("composer").fill(text);
    await alice.getByTestId("composer").press("Enter");
  }
  for (const tab of [bobTab1, bobTab2]) {
    await badge(tab, "random").filter({ hasText: "2" }).waitFor({ timeout: 10_000 });
  }

  // @-autocomplete: type "@bo", pick bob with Enter, finish the message.
  await alice.getByTestId("composer").pressSequentially("look @bo");
  await alice.getByTestId("suggest-bob").waitFor();
  await alice.getByTestId("composer").press("Enter");
  assert.equal(await alice.getByTestId("composer").inputValue(), "look @bob ");
  await alice.getByTestId("composer").pressSequentially("at this");
  await alice.getByTestId("composer").press("Enter");
  await alice.getByTestId("mention-chip").filter({ hasText: "@bob" }).waitFor();

  for (const tab of [bobTab1, bobTab2]) {
    await badge(tab, "random").filter({ hasText: "3" }).waitFor({ timeout: 10_000 });
    await tab.getByTestId("conv-random").locator(".badge.mention").filter({ hasText: "@1" }).waitFor({ timeout: 10_000 });
  }
  await screenshot(bobTab2, "bob-badges-before-reading");

  // Bob reads #random in tab 1; tab 2's badges clear through chat:conversationRead.
  await bobTab1.bringToFront();
  await bobTab1.getByTestId("conv-random").click();
  await bobTab1.locator(".chip-me").filter({ hasText: "@bob" }).waitFor();
  await badge(bobTab2, "random").waitFor({ state: "detached", timeout: 10_000 });
  assert.equal(await bobTab2.getByTestId("conv-random").locator(".badge").count(), 0);
  await screenshot(bobTab1, "bob-read-with-mention");
  await screenshot(bobTab2, "bob-second-tab-cleared");

  // The server agrees.
  const token = await stack.token("acme", "bob", "Bob Brown");
  const { body } = await stack.api(token, "GET", "/api/v1/chat/conversations");
  const random = body.items.find((c) => c.name === "random");
  assert.equal(random.unreadCount, 0);
  assert.equal(random.mentionCount, 0);
});
