// Reactions (issue 21, point 2), as two people meet them: alice reacts through the picker by
// searching a name; bob sees it live with the count and the names on hover; bob adds the same
// emoji (2); alice takes hers back (1, bob's stays); a reload shows the same; reactions never
// raise bob's unread badge; the whole flow works by keyboard alone (the picker takes focus,
// typing and arrows work, Escape closes it and focus goes back); recently used emoji come first
// and survive a reload; nothing is fetched from anywhere but the app (the emoji data is bundled);
// reactions added and removed while the page was offline arrive through catch-up.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, screenshot, showConversationList, signIn, suite, waitForStatus } from "./harness.mjs";

const { stack, contexts } = suite(before, after);

/** Every request a page makes, to check none leaves the app's own origin. */
const requests = [];

async function person(userId, options) {
  const context = await browser(`${userId}-reactions`, options);
  contexts.push(context);
  context.on("request", (r) => requests.push(r.url()));
  return signIn(context, stack, userId);
}

const messageRow = (page, id) => page.locator(`[data-testid="message"][data-message-id="${id}"]`);
// `emoji` without U+FE0F, as the chips' data-emoji holds it (the client compares emoji so).
const chip = (page, id, emoji) => messageRow(page, id).locator(`[data-testid="reaction"][data-emoji="${emoji}"]`);
const focused = (page) => page.evaluate(() => ({ testId: document.activeElement?.getAttribute("data-testid"), label: document.activeElement?.getAttribute("aria-label") }));

/** Waits until the chip's accessible name is `label` (names come from the profile lookup). */
async function waitForLabel(page, id, emoji, label) {
  await messageRow(page, id).locator(`[data-testid="reaction"][data-emoji="${emoji}"][aria-label="${label}"]`).waitFor({ timeout: 8_000 });
}

async function countOf(page, id, emoji) {
  const c = chip(page, id, emoji);
  return (await c.count()) === 0 ? 0 : Number(await c.getByTestId("reaction-count").innerText());
}

async function waitForCount(page, id, emoji, count) {
  await page.waitForFunction(
    ([id, emoji, count]) => {
      const chip = document.querySelector(`[data-testid="message"][data-message-id="${id}"] [data-testid="reaction"][data-emoji="${emoji}"]`);
      const shown = chip ? Number(chip.querySelector('[data-testid="reaction-count"]')?.textContent) : 0;
      return shown === count;
    },
    [id, emoji, count],
    { timeout: 8_000 },
  );
}

async function badge(page, name) {
  const b = page.getByTestId(`conv-${name}`).getByTestId("unread-badge");
  return (await b.count()) === 0 ? null : b.innerText();
}

test("two people react live, by mouse and by keyboard, and reactions never count as unread", async () => {
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  const general = await conversationId(stack, aliceToken, "general");
  const post = async (conversation, body) => {
    const r = await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${conversation}/messages`, { clientMessageId: crypto.randomUUID(), body, mentions: [] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const message = await post(general, "Ship the release today?");

  const alice = await person("alice");
  const bob = await person("bob");
  for (const page of [alice, bob]) {
    await page.getByTestId("conv-general").click();
    await messageRow(page, message.id).waitFor();
  }

  // Alice: Add reaction → search "thumbs" → the picker shows what matches, by name.
  await messageRow(alice, message.id).hover();
  // The message's own Add reaction (it has no reactions yet, so no bar).
  assert.equal(await messageRow(alice, message.id).getByTestId("reactions").count(), 0);
  await messageRow(alice, message.id).getByTestId("add-reaction").click();
  const picker = alice.getByTestId("emoji-picker");
  await picker.waitFor();
  assert.equal((await focused(alice)).label, "Search emoji by name", "the picker takes focus");
  assert.ok((await onScreen(picker)).inside, "the picker is inside the window");
  await alice.keyboard.type("thumbs up");
  const thumbs = picker.getByRole("option", { name: "thumbs up", exact: true });
  await thumbs.waitFor();
  await screenshot(alice, "reactions-picker-search");
  await thumbs.click();
  await picker.waitFor({ state: "detached" });
  await waitForCount(alice, message.id, "👍", 1);
  assert.equal(await chip(alice, message.id, "👍").getAttribute("aria-pressed"), "true", "mine is highlighted");

  // Bob sees it live, with who reacted on hover and in the button's name.
  await waitForCount(bob, message.id, "👍", 1);
  await waitForLabel(bob, message.id, "👍", "Alice Anderson reacted with :thumbs up:");
  assert.equal(await chip(bob, message.id, "👍").getAttribute("aria-pressed"), "false");
  await chip(bob, message.id, "👍").hover();
  const tip = messageRow(bob, message.id).getByTestId("reaction-tip");
  await tip.waitFor();
  assert.equal(await tip.innerText(), "👍\nAlice Anderson reacted with :thumbs up:");
  assert.ok((await onScreen(tip)).inside, "the names show on screen");
  await screenshot(bob, "reactions-hover-names");

  // Bob adds the same emoji: 2 for both; alice takes hers back: 1, bob's stays.
  await chip(bob, message.id, "👍").click();
  await waitForCount(bob, message.id, "👍", 2);
  await waitForCount(alice, message.id, "👍", 2);
  await waitForLabel(alice, message.id, "👍", "You and Bob Brown reacted with :thumbs up:");
  await chip(alice, message.id, "👍").click();
  await waitForCount(alice, message.id, "👍", 1);
  await waitForCount(bob, message.id, "👍", 1);
  assert.equal(await chip(bob, message.id, "👍").getAttribute("aria-pressed"), "true", "bob's reaction remains");
  assert.equal(await chip(alice, message.id, "👍").getAttribute("aria-pressed"), "false");
  await waitForLabel(alice, message.id, "👍", "Bob Brown reacted with :thumbs up:");

  // A reload shows the same, from history.
  for (const page of [alice, bob]) {
    await page.reload();
    await page.getByTestId("conv-general").click();
    await messageRow(page, message.id).waitFor();
    await waitForCount(page, message.id, "👍", 1);
  }
  assert.equal(await chip(bob, message.id, "👍").getAttribute("aria-pressed"), "true");
  assert.equal(await chip(alice, message.id, "👍").getAttribute("aria-pressed"), "false");

  // Keyboard alone (alice): the bar's Add reaction, Enter; type a name, arrows, Enter.
  await messageRow(alice, message.id).getByTestId("reactions").getByTestId("add-reaction").focus();
  await alice.keyboard.press("Enter");
  await picker.waitFor();
  assert.equal((await focused(alice)).label, "Search emoji by name");
  // Recently used first: her thumbs up, remembered across the reload.
  const firstSection = picker.getByRole("listbox").getByRole("group").first();
  assert.equal(await firstSection.getAttribute("aria-label"), "Recently used");
  assert.equal(await firstSection.getByRole("option").first().getAttribute("aria-label"), "thumbs up");
  // Escape closes, focus goes back to the button.
  await alice.keyboard.press("Escape");
  await picker.waitFor({ state: "detached" });
  assert.equal((await focused(alice)).label, "Add reaction");
  await alice.keyboard.press("Enter");
  await picker.waitFor();
  const active = () => picker.locator('[role="option"][aria-selected="true"]').getAttribute("aria-label");
  // The first of everything is active before typing; typing narrows, arrows move.
  await picker.getByRole("option").first().waitFor();
  await alice.keyboard.press("ArrowDown");
  await alice.keyboard.press("ArrowRight");
  assert.notEqual(await active(), "thumbs up", "arrows move from the first emoji");
  await alice.keyboard.type("party");
  assert.equal(await active(), "partying face", "the first match is active");
  await alice.keyboard.press("ArrowRight");
  assert.equal(await active(), "party popper");
  await alice.keyboard.press("ArrowLeft");
  assert.equal(await active(), "partying face");
  await alice.keyboard.press("ArrowRight");
  await alice.keyboard.press("Enter");
  await picker.waitFor({ state: "detached" });
  assert.equal((await focused(alice)).label, "Add reaction", "focus back on the button after a pick");
  await waitForCount(alice, message.id, "🎉", 1);
  await waitForCount(bob, message.id, "🎉", 1);
  // Tab reaches the reactions; Enter toggles mine (the thumbs up, back on).
  await chip(alice, message.id, "👍").focus();
  await messageRow(alice, message.id).getByTestId("reaction-tip").waitFor();
  await alice.keyboard.press("Enter");
  await waitForCount(alice, message.id, "👍", 2);
  await waitForCount(bob, message.id, "👍", 2);
  await screenshot(alice, "reactions-desktop");

  // Unread: bob looks at #random; a new message in #general raises his badge to 1; reactions
  // there (added and removed) leave it at 1. A message in #random, which comes after them on
  // the same socket, proves they arrived.
  await bob.getByTestId("conv-random").click();
  const later = await post(general, "One more thing");
  await bob.getByTestId("conv-general").getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor({ timeout: 8_000 });
  for (const [method, target, emoji] of [["PUT", message.id, "🚀"], ["PUT", later.id, "👀"], ["DELETE", message.id, "🎉"]]) {
    const r = await stack.api(aliceToken, method, `/api/v1/chat/conversations/${general}/messages/${target}/reactions/${encodeURIComponent(emoji)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const random = await conversationId(stack, aliceToken, "random");
  const marker = await post(random, "after the reactions");
  await messageRow(bob, marker.id).waitFor();
  assert.equal(await badge(bob, "general"), "1", "reactions did not change bob's unread badge");
  await bob.getByTestId("conv-general").click();
  await waitForCount(bob, message.id, "🚀", 1);
  await waitForCount(bob, later.id, "👀", 1);
  assert.equal(await countOf(bob, message.id, "🎉"), 0, "alice's removal arrived in order");

  // Nothing left the app: the emoji picker and its data are bundled.
  const foreign = requests.filter((url) => !url.startsWith(stack.url) && !url.startsWith("data:") && !url.startsWith("blob:"));
  assert.deepEqual(foreign, [], "every request stays on 127.0.0.1");
});

test("on a phone-sized window the picker is a sheet inside the screen, and the bar wraps", async () => {
  const carol = await person("carol", { viewport: { width: 390, height: 844 } });
  const token = await stack.token("acme", "carol", "Carol Chen");
  const general = await conversationId(stack, token, "general");
  const r = await stack.api(token, "POST", `/api/v1/chat/conversations/${general}/messages`, { clientMessageId: crypto.randomUUID(), body: "From my phone", mentions: [] });
  assert.equal(r.status, 201);
  await showConversationList(carol);
  await carol.getByTestId("conv-general").click();
  const row = messageRow(carol, r.body.id);
  await row.waitFor();
  await row.getByTestId("add-reaction").click();
  const picker = carol.getByTestId("emoji-picker");
  await picker.waitFor();
  const { box, inside } = await onScreen(picker);
  assert.ok(inside, `the picker fits the window: ${JSON.stringify(box)}`);
  assert.ok(box.width > 300, "it takes the window's width");
  await carol.keyboard.type("heart");
  const heart = picker.getByRole("option", { name: "red heart", exact: true });
  await heart.waitFor();
  await screenshot(carol, "reactions-phone-picker");
  await heart.click();
  await waitForCount(carol, r.body.id, "❤", 1);
  assert.ok((await onScreen(chip(carol, r.body.id, "❤"))).inside);
  // A skin tone applies to the emoji that have one (the server takes the toned emoji).
  await row.getByTestId("reactions").getByTestId("add-reaction").click();
  await picker.getByRole("button", { name: "dark skin tone", exact: true }).click();
  assert.equal(await picker.getByRole("button", { name: "dark skin tone", exact: true }).getAttribute("aria-pressed"), "true");
  await carol.keyboard.type("thumbs up");
  await picker.getByRole("option", { name: "thumbs up", exact: true }).click();
  await waitForCount(carol, r.body.id, "👍🏿", 1);
  await screenshot(carol, "reactions-phone");
});

test("after a reconnect, catch-up brings the reactions added and taken back meanwhile", async () => {
  const context = await browser("bob-reactions-reconnect");
  contexts.push(context);
  // Every socket passes through here; `offline` drops them and refuses new ones.
  const net = { offline: false, sockets: new Set() };
  await context.routeWebSocket(/\/ws/, (ws) => {
    if (net.offline) {
      ws.close({ code: 1006, reason: "offline" });
      return;
    }
    const server = ws.connectToServer();
    net.sockets.add(ws);
    ws.onMessage((m) => server.send(m));
    ws.onClose((code, reason) => {
      net.sockets.delete(ws);
      server.close({ code, reason });
    });
    server.onClose((code, reason) => ws.close({ code, reason }));
    server.onMessage((m) => ws.send(m));
  });
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  const random = await conversationId(stack, aliceToken, "random");
  const react = async (method, id, emoji) => {
    const r = await stack.api(aliceToken, method, `/api/v1/chat/conversations/${random}/messages/${id}/reactions/${encodeURIComponent(emoji)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const sent = await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${random}/messages`, { clientMessageId: crypto.randomUUID(), body: "Lunch at noon?", mentions: [] });
  assert.equal(sent.status, 201);
  const id = sent.body.id;
  await react("PUT", id, "👀");

  const bob = await signIn(context, stack, "bob");
  await bob.getByTestId("conv-random").click();
  await waitForCount(bob, id, "👀", 1);

  net.offline = true;
  await context.setOffline(true);
  for (const ws of net.sockets) ws.close({ code: 1006, reason: "network lost" });
  await bob.locator('[data-testid="connection-status"]:not([data-status="connected"])').waitFor({ timeout: 20_000 });
  // Meanwhile: one added and kept, one added and taken back, one taken back.
  await react("PUT", id, "👍");
  await react("PUT", id, "🚀");
  await react("DELETE", id, "🚀");
  await react("DELETE", id, "👀");
  await messageRow(bob, id).getByTestId("reactions").waitFor();
  await screenshot(bob, "reactions-offline");
  assert.equal(await countOf(bob, id, "👀"), 1, "nothing arrives while offline");

  net.offline = false;
  await context.setOffline(false);
  await waitForStatus(bob, "connected", 40_000);
  await waitForCount(bob, id, "👍", 1);
  await waitForCount(bob, id, "👀", 0);
  assert.equal(await countOf(bob, id, "🚀"), 0, "added and taken back: not shown");
  const shown = await messageRow(bob, id).getByTestId("reaction").evaluateAll((chips) => chips.map((c) => c.getAttribute("data-emoji")));
  assert.deepEqual(shown, ["👍"]);
});
