// Typing and presence between two people in two browsers (issue 22, points 1 and 2). Bob types
// in his DM with Alice: Alice reads "Bob Brown is typing…" under her composer, and the messages
// above do not move; it goes when his message arrives, and after 6 s of silence. Bob's dot in
// Alice's DM list goes online, away (Bob chooses it with the keyboard alone) and offline (Bob
// closes his page). Carol, on a phone, sees Bob typing in #general.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, screenshot, signIn, suite } from "./harness.mjs";
import { expectAccessible } from "./axe.mjs";

// A short grace keeps the test quick; the default (5 s) only makes offline later.
const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { PRESENCE_GRACE_MS: "300" };
});

function row(page, title) {
  return page.locator("nav.sidebar button.conv").filter({ hasText: title });
}

function dot(page, title, status) {
  return row(page, title).locator(`[data-testid="presence-dot"][aria-label="Bob Brown, ${status}"]`);
}

async function typingLine(page) {
  return (await page.getByTestId("typing-line").innerText()).trim();
}

/** Waits until the typing line reads `text` (as a person waits for it to change). */
async function typingReads(page, text, timeout = 15_000) {
  await page.waitForFunction(
    (want) => (document.querySelector('[data-testid="typing-line"]')?.textContent ?? "").trim() === want,
    text,
    { timeout },
  );
}

/** Tabs through the page until the away switch has the focus (the keyboard alone). */
async function tabTo(page, testId) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((id) => document.activeElement?.getAttribute("data-testid") === id, testId)) return;
  }
  throw new Error(`Tab never reached ${testId}`);
}

test("alice sees bob typing and his presence; carol on a phone sees him typing", async () => {
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  const opened = await stack.api(aliceToken, "POST", "/api/v1/chat/dms", { userId: "bob" });
  assert.ok(opened.status < 300, JSON.stringify(opened.body));
  const general = await conversationId(stack, aliceToken, "general");

  const aliceContext = await browser("alice-presence");
  const bobContext = await browser("bob-presence");
  const carolContext = await browser("carol-presence", { viewport: { width: 390, height: 844 } });
  contexts.push(aliceContext, bobContext, carolContext);

  const alice = await signIn(aliceContext, stack, "alice");
  await row(alice, "Bob Brown").click();
  await alice.getByTestId("conversation-title").filter({ hasText: "Bob Brown" }).waitFor();
  await dot(alice, "Bob Brown", "offline").waitFor({ timeout: 10_000 });
  await screenshot(alice, "presence-alice-bob-offline");

  // Bob arrives: online.
  const bob = await signIn(bobContext, stack, "bob");
  await dot(alice, "Bob Brown", "online").waitFor({ timeout: 10_000 });
  await row(bob, "Alice Anderson").click();
  await bob.getByTestId("conversation-title").filter({ hasText: "Alice Anderson" }).waitFor();
  // The mention autocomplete shows Bob's presence too.
  await alice.getByTestId("composer").pressSequentially("@bo");
  await alice.getByTestId("suggest-bob").locator('[data-testid="presence-dot"][aria-label="Bob Brown, online"]').waitFor({ timeout: 10_000 });
  await screenshot(alice, "presence-alice-autocomplete");
  await alice.getByTestId("composer").press("Escape");
  await alice.getByTestId("composer").fill("");
  await bob.getByTestId("composer").fill("hello");
  await bob.getByTestId("composer").press("Enter");
  await alice.getByTestId("message-body").filter({ hasText: "hello" }).waitFor();
  assert.equal(await typingLine(alice), "", "nobody is typing yet");

  // Bob types: Alice reads it under her composer, and nothing above moves.
  const scroller = alice.getByTestId("message-scroller");
  const composer = alice.getByTestId("composer");
  const before = { list: await scroller.boundingBox(), composer: await composer.boundingBox(), last: await alice.getByTestId("message-body").last().boundingBox() };
  await bob.getByTestId("composer").pressSequentially("are you free");
  await typingReads(alice, "Bob Brown is typing…");
  const line = alice.getByTestId("typing-line");
  await expectAccessible(alice, "a DM with the typing line and presence dots");
  const lineBox = await line.boundingBox();
  const composerBox = await composer.boundingBox();
  assert.ok(lineBox && composerBox && lineBox.y >= composerBox.y + composerBox.height - 1, "the line is under the composer");
  assert.ok((await onScreen(line)).inside, "the line is on screen");
  assert.deepEqual(await scroller.boundingBox(), before.list, "the message list keeps its place and size");
  assert.deepEqual(await alice.getByTestId("message-body").last().boundingBox(), before.last, "the last message did not move");
  assert.deepEqual(composerBox, before.composer, "the composer did not move");
  assert.ok(!(await bob.getByTestId("typing-line").innerText()).includes("Bob Brown"), "bob is not told he is typing");
  await screenshot(alice, "presence-alice-sees-bob-typing");

  // His message arrives: the line empties with it.
  await bob.getByTestId("composer").press("Enter");
  await alice.getByTestId("message-body").filter({ hasText: "are you free" }).waitFor();
  assert.equal(await typingLine(alice), "", "gone when his message arrived");

  // He types and stops: gone after 6 s of silence.
  await bob.getByTestId("composer").pressSequentially("one more");
  await typingReads(alice, "Bob Brown is typing…");
  await typingReads(alice, "", 20_000);
  await screenshot(alice, "presence-alice-typing-expired");

  // Carol, on a phone, in #general: Bob types there.
  const carol = await signIn(carolContext, stack, "carol");
  await carol.evaluate((id) => (location.hash = `#/c/${id}`), general);
  await carol.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  await bob.getByTestId("composer").fill("");
  await row(bob, "#general").or(bob.getByTestId("conv-general")).first().click();
  await bob.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  await bob.getByTestId("composer").pressSequentially("lunch?");
  await typingReads(carol, "Bob Brown is typing…");
  const carolLine = carol.getByTestId("typing-line");
  assert.ok((await onScreen(carolLine)).inside, "on a phone the line is on screen");
  assert.ok((await onScreen(carol.getByTestId("composer"))).inside, "and so is the composer");
  await screenshot(carol, "presence-carol-phone-sees-bob-typing");
  // Her members panel shows who is online.
  await carol.getByTestId("members-button").click();
  const bobMember = carol.getByTestId("member").filter({ hasText: "Bob Brown" });
  await bobMember.locator('[data-testid="presence-dot"][aria-label="Bob Brown, online"]').waitFor({ timeout: 10_000 });
  await carol.getByTestId("member").filter({ hasText: "Alice Anderson" }).locator('[data-testid="presence-dot"][aria-label="Alice Anderson, online"]').waitFor({ timeout: 10_000 });
  await screenshot(carol, "presence-carol-phone-members");
  await carol.keyboard.press("Escape");

  // Away by choice, with the keyboard alone.
  await tabTo(bob, "away-toggle");
  assert.equal(await bob.getByTestId("away-toggle").innerText(), "Set yourself as away");
  await bob.keyboard.press("Enter");
  await dot(alice, "Bob Brown", "away").waitFor({ timeout: 10_000 });
  await bob.getByTestId("away-toggle").filter({ hasText: "Set yourself as active" }).waitFor();
  assert.equal(await bob.getByTestId("away-toggle").getAttribute("aria-pressed"), "true");
  assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute("data-testid")), "away-toggle", "focus stays on the switch");
  await screenshot(alice, "presence-alice-bob-away");
  await screenshot(bob, "presence-bob-chose-away");

  // A reload keeps his choice (it is stored), and back to active.
  await bob.reload();
  await bob.getByTestId("away-toggle").filter({ hasText: "Set yourself as active" }).waitFor({ timeout: 10_000 });
  await bob.getByTestId("away-toggle").focus();
  await bob.keyboard.press("Space");
  await dot(alice, "Bob Brown", "online").waitFor({ timeout: 10_000 });

  // Bob closes his page: offline.
  await bobContext.close();
  await dot(alice, "Bob Brown", "offline").waitFor({ timeout: 15_000 });
  await screenshot(alice, "presence-alice-bob-offline-again");
});
