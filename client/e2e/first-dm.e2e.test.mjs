// Every conversation you are added to reaches you live: carol, who has never had a DM, sits on
// #general; alice opens a DM with her and writes. Without a reload carol's sidebar shows the DM
// with an unread badge, the message is there when she opens it, and the next one arrives live at
// the bottom. Being invited to a private channel works the same way.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, screenshot, signIn, suite } from "./harness.mjs";

const { stack, contexts } = suite(before, after);

/** A sidebar row by the title it shows (a DM shows the other person's name). */
function row(page, title) {
  return page.locator("nav.sidebar button.conv").filter({ hasText: title });
}

async function lastBodyInView(page, text) {
  const last = page.getByTestId("message-body").last();
  await last.filter({ hasText: text }).waitFor({ timeout: 10_000 });
  const { inside } = await onScreen(last);
  assert.ok(inside, `the newest message "${text}" is on screen`);
  // The list is at its bottom: nothing further to scroll to.
  const gap = await page.getByTestId("message-scroller").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  assert.ok(gap < 45, `the list is scrolled to the bottom (${gap}px left)`);
}

test("a first DM and a private-channel invitation reach carol live", async () => {
  const aliceContext = await browser("alice-first-dm");
  const carolContext = await browser("carol-first-dm");
  contexts.push(aliceContext, carolContext);
  const carol = await signIn(carolContext, stack, "carol");
  await carol.getByTestId("conv-general").click();
  await carol.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  assert.equal(await row(carol, "Alice Anderson").count(), 0, "carol starts with no DM");
  await screenshot(carol, "first-dm-carol-before");

  const alice = await signIn(aliceContext, stack, "alice");
  await alice.getByTestId("dm-search").fill("car");
  await alice.getByTestId("pick-carol").waitFor();
  await alice.getByTestId("dm-search").press("Enter");
  await alice.getByTestId("conversation-title").filter({ hasText: "Carol Chen" }).waitFor();
  await alice.getByTestId("composer").fill("hi carol");
  await alice.getByTestId("composer").press("Enter");
  await alice.getByTestId("message-body").filter({ hasText: "hi carol" }).waitFor();

  // Carol: no reload. The DM appears with one unread message.
  const dm = row(carol, "Alice Anderson");
  await dm.getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor({ timeout: 8_000 });
  assert.equal(await carol.getByTestId("conversation-title").innerText(), "#general", "carol is still reading #general");
  await screenshot(carol, "first-dm-carol-sidebar-shows-dm");

  await dm.click();
  await carol.getByTestId("conversation-title").filter({ hasText: "Alice Anderson" }).waitFor();
  await lastBodyInView(carol, "hi carol");
  await dm.getByTestId("unread-badge").waitFor({ state: "detached", timeout: 5_000 });

  await alice.getByTestId("composer").fill("are you there?");
  await alice.getByTestId("composer").press("Enter");
  await lastBodyInView(carol, "are you there?");
  assert.equal(await dm.getByTestId("unread-badge").count(), 0, "read while open: no badge");
  await screenshot(carol, "first-dm-carol-second-message-live");

  // Read while it was open, so a reload brings back no badge and no "New messages" divider.
  await carol.reload();
  await carol.getByTestId("conversation-title").filter({ hasText: "Alice Anderson" }).waitFor();
  await lastBodyInView(carol, "are you there?");
  assert.deepEqual(await carol.getByTestId("message-body").allInnerTexts(), ["hi carol", "are you there?"]);
  assert.equal(await carol.getByTestId("new-messages-divider").count(), 0, "nothing comes back as new");
  assert.equal(await row(carol, "Alice Anderson").getByTestId("unread-badge").count(), 0, "no badge after the reload");
  await screenshot(carol, "first-dm-carol-dm-after-reload");

  // A private channel carol is invited to: it shows live, and so does its first message.
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  const created = await stack.api(aliceToken, "POST", "/api/v1/chat/channels", { name: "plans", visibility: "private", topic: "Secret plans" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const plans = await conversationId(stack, aliceToken, "plans");
  const invited = await stack.api(aliceToken, "POST", `/api/v1/chat/channels/${plans}/members`, { userId: "carol" });
  assert.ok(invited.status < 300, JSON.stringify(invited.body));
  await carol.getByTestId("conv-plans").waitFor({ timeout: 8_000 });
  assert.equal(await carol.getByTestId("conv-plans").getByTestId("unread-badge").count(), 0, "nothing said yet");
  await screenshot(carol, "first-dm-carol-invited");

  const first = await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${plans}/messages`, { clientMessageId: crypto.randomUUID(), body: "welcome to plans", mentions: [] });
  assert.equal(first.status, 201);
  await carol.getByTestId("conv-plans").getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor({ timeout: 8_000 });
  await carol.getByTestId("conv-plans").click();
  await lastBodyInView(carol, "welcome to plans");
  await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${plans}/messages`, { clientMessageId: crypto.randomUUID(), body: "second plan", mentions: [] });
  await lastBodyInView(carol, "second plan");
  await screenshot(carol, "first-dm-carol-private-channel-live");

  // A slow network: carol's client asks for the list when bob opens a DM with her, and bob's
  // first message commits after the server answered that request but before the answer arrives.
  // Subscribing only after the answer would miss it (no socket of hers was subscribed, and the
  // answer does not count it); subscribing first delivers it live.
  let answered = null;
  await carolContext.route("**/api/v1/chat/conversations", async (route) => {
    const response = await route.fetch();
    if (answered) {
      answered();
      answered = null;
      await new Promise((r) => setTimeout(r, 1_500));
    }
    await route.fulfill({ response });
  });
  const listAnswered = new Promise((r) => (answered = r));
  const bobToken = await stack.token("acme", "bob", "Bob Brown");
  const opened = await stack.api(bobToken, "POST", "/api/v1/chat/dms", { userId: "carol" });
  assert.ok(opened.status < 300, JSON.stringify(opened.body));
  await listAnswered;
  const fromBob = await stack.api(bobToken, "POST", `/api/v1/chat/conversations/${opened.body.id}/messages`, { clientMessageId: crypto.randomUUID(), body: "hello from bob", mentions: [] });
  assert.equal(fromBob.status, 201);
  const bobRow = row(carol, "Bob Brown");
  await bobRow.getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor({ timeout: 8_000 });
  await screenshot(carol, "first-dm-carol-slow-network-dm");
  await carolContext.unroute("**/api/v1/chat/conversations");
  await bobRow.click();
  await lastBodyInView(carol, "hello from bob");
  await stack.api(bobToken, "POST", `/api/v1/chat/conversations/${opened.body.id}/messages`, { clientMessageId: crypto.randomUUID(), body: "and a second one", mentions: [] });
  await lastBodyInView(carol, "and a second one");

  // After a reload nothing read comes back as unread.
  await carol.reload();
  await carol.getByTestId("chat").waitFor();
  await carol.getByTestId("conv-plans").waitFor();
  await row(carol, "Alice Anderson").waitFor();
  await row(carol, "Bob Brown").waitFor();
  assert.equal(await row(carol, "Alice Anderson").getByTestId("unread-badge").count(), 0, "the DM stays read after a reload");
  assert.equal(await row(carol, "Bob Brown").getByTestId("unread-badge").count(), 0, "bob's DM stays read after a reload");
  assert.equal(await carol.getByTestId("conv-plans").getByTestId("unread-badge").count(), 0, "#plans stays read after a reload");
  await lastBodyInView(carol, "and a second one");
  assert.equal(await carol.getByTestId("new-messages-divider").count(), 0);
  const carolToken = await stack.token("acme", "carol", "Carol Chen");
  const { body } = await stack.api(carolToken, "GET", "/api/v1/chat/conversations");
  for (const c of body.items.filter((c) => c.kind === "dm" || c.name === "plans")) {
    assert.equal(c.unreadCount, 0, `the server agrees for ${c.name ?? "the DM"}`);
  }
  await screenshot(carol, "first-dm-carol-after-reload");
});
