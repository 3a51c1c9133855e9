// Threads (issue 21.1) as two people meet them: alice starts a thread on a message, bob sees
// its summary update live and opens the panel beside the list, replies "also to #general";
// alice sees the reply in the thread and in the list, a reload keeps the panel; a followed
// thread's unread badge appears and clears; the keyboard alone opens, sends and closes; a
// phone-sized window covers the list with the panel and Back returns; search opens a reply in
// its thread; deleting a root with replies leaves a tombstone and a readable thread.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, onScreen, screenshot, showConversationList, signIn, suite, waitForStatus } from "./harness.mjs";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

async function person(userId, options) {
  const context = await browser(`${userId}-threads-${options?.viewport?.width ?? "desktop"}`, options);
  contexts.push(context);
  return signIn(context, stack, userId);
}

const list = (page) => page.getByTestId("messages");
const panel = (page) => page.getByTestId("thread-panel");
const inList = (page, text) => list(page).getByTestId("message").filter({ hasText: text });
const inThread = (page, text) => panel(page).locator('[data-testid="message"][data-state="sent"]').filter({ hasText: text });
const focusedTestId = (page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));

async function openGeneral(page) {
  await page.getByTestId("conv-general").click();
  await page.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
}

async function reply(page, text, { alsoInChannel = false } = {}) {
  const composer = panel(page).getByTestId("composer");
  await composer.fill(text);
  if (alsoInChannel) await panel(page).getByTestId("also-send").check();
  await composer.press("Enter");
  await inThread(page, text).waitFor();
}

const ROOT_TEXT = "Lunch plans for Friday?";
let alice;
let bob;
let rootId;

test("bob sees alice's new thread live and opens it beside the list", async () => {
  alice = await person("alice");
  bob = await person("bob");
  await openGeneral(alice);
  await openGeneral(bob);
  await alice.getByTestId("composer").fill(ROOT_TEXT);
  await alice.getByTestId("composer").press("Enter");
  const root = inList(alice, ROOT_TEXT).and(alice.locator('[data-state="sent"]'));
  await root.waitFor();
  rootId = await root.getAttribute("data-message-id");
  await inList(bob, ROOT_TEXT).waitFor();
  assert.equal(await inList(bob, ROOT_TEXT).getByTestId("thread-summary").count(), 0, "no summary before a reply");

  await root.hover();
  await root.getByTestId("reply-in-thread").click();
  await panel(alice).waitFor();
  assert.equal(await panel(alice).getAttribute("data-root-id"), rootId);
  assert.equal(await focusedTestId(alice), "composer", "the thread's composer takes the keyboard");
  await reply(alice, "I vote tacos");
  await screenshot(alice, "threads-1-alice-started");

  // bob: the summary appears under the root without a reload.
  const summary = inList(bob, ROOT_TEXT).getByTestId("thread-summary");
  await summary.getByTestId("thread-reply-count").filter({ hasText: /^1 reply$/ }).waitFor({ timeout: 8_000 });
  await summary.getByTestId("thread-participants").filter({ hasText: "Alice" }).waitFor();
  assert.equal(await inList(bob, "I vote tacos").count(), 0, "a thread-only reply is not in the main list");
  assert.equal(await bob.locator("nav.sidebar button.conv").filter({ hasText: /^#general/ }).getByTestId("unread-badge").count(), 0, "nor does it make the conversation unread");
  await screenshot(bob, "threads-2-bob-summary-live");

  await summary.click();
  await panel(bob).waitFor();
  await inThread(bob, "I vote tacos").waitFor();
  await inThread(bob, ROOT_TEXT).waitFor();
  // Beside the list: side by side, both in the window, the list still wide enough to read.
  const listBox = await list(bob).boundingBox();
  const panelBox = await panel(bob).boundingBox();
  assert.ok(listBox && panelBox);
  assert.ok(panelBox.x >= listBox.x + listBox.width - 1, `the panel is right of the list (${JSON.stringify({ listBox, panelBox })})`);
  assert.ok(listBox.width > 300, "the main list stays usable");
  assert.ok((await onScreen(panel(bob))).inside, "the panel is inside the window");
  assert.ok((await onScreen(inList(bob, ROOT_TEXT))).inside, "the main list is still shown");
  await screenshot(bob, "threads-3-bob-panel-open");
});

test("bob replies also to #general; alice sees it in the thread and in the list; a reload keeps the panel", async () => {
  await reply(bob, "Pizza, and sending this to the channel too", { alsoInChannel: true });
  await inList(bob, "Pizza, and sending").waitFor();
  await inThread(alice, "Pizza, and sending").waitFor({ timeout: 8_000 });
  const copy = inList(alice, "Pizza, and sending");
  await copy.waitFor();
  await copy.getByTestId("replied-to-thread").waitFor();
  await inList(alice, ROOT_TEXT).getByTestId("thread-reply-count").filter({ hasText: /^2 replies$/ }).waitFor();
  assert.equal(await inList(alice, ROOT_TEXT).getByTestId("thread-participant").count(), 2, "two participants' initials");
  assert.equal(await panel(alice).getByTestId("thread-follow").innerText(), "Following", "alice follows the thread she started");
  await screenshot(alice, "threads-4-alice-reply-in-list-and-thread");

  await alice.reload();
  await panel(alice).waitFor();
  assert.equal(await panel(alice).getAttribute("data-root-id"), rootId, "the same thread after a reload");
  await inThread(alice, "Pizza, and sending").waitFor();
  assert.match(new URL(alice.url()).hash, new RegExp(`/t/${rootId}$`));
  assert.ok((await onScreen(inThread(alice, "Pizza, and sending"))).inside, "the panel opens at its newest reply");
  await screenshot(alice, "threads-5-alice-after-reload");
});

test("a followed thread's new reply shows in the Threads badge and clears when she opens it", async () => {
  await alice.keyboard.press("Escape");
  await panel(alice).waitFor({ state: "detached" });
  await alice.getByTestId("conv-random").click();
  await alice.getByTestId("conversation-title").filter({ hasText: "#random" }).waitFor();
  await reply(bob, "Or sushi?");
  const badge = alice.getByTestId("threads-entry").getByTestId("threads-badge");
  await badge.filter({ hasText: /^1$/ }).waitFor({ timeout: 8_000 });
  assert.equal(await alice.locator("nav.sidebar button.conv").filter({ hasText: /^#general/ }).getByTestId("unread-badge").count(), 0, "the channel is not unread for a thread reply");
  await screenshot(alice, "threads-6-alice-threads-badge");

  await alice.getByTestId("threads-entry").click();
  const item = alice.getByTestId("followed-thread").filter({ hasText: ROOT_TEXT });
  await item.waitFor();
  await item.getByTestId("followed-unread").filter({ hasText: "1 new" }).waitFor();
  assert.ok((await item.getByTestId("followed-reply").allInnerTexts()).some((t) => t.includes("Or sushi?")), "its last replies show");
  await screenshot(alice, "threads-7-alice-threads-view");
  await item.click();
  await panel(alice).waitFor();
  await inThread(alice, "Or sushi?").waitFor();
  await badge.waitFor({ state: "detached", timeout: 8_000 });
  await inList(alice, ROOT_TEXT).waitFor();
  assert.ok((await onScreen(inList(alice, ROOT_TEXT))).inside, "its conversation shows beside it");
  await screenshot(alice, "threads-8-alice-thread-read");
  // Read on the server too: a reload shows no badge.
  await alice.reload();
  await panel(alice).waitFor();
  await inThread(alice, "Or sushi?").waitFor();
  assert.equal(await badge.count(), 0, "the thread stays read after a reload");
});

/** Each part starts from #general with no panel open, so one failing does not hide the others. */
async function atGeneral(page) {
  if ((await panel(page).count()) > 0) {
    await page.keyboard.press("Escape");
    await panel(page).waitFor({ state: "detached" });
  }
  await openGeneral(page);
}

test("keyboard alone: open a thread, type, send, Escape closes and focus returns", async () => {
  await atGeneral(alice);
  const summary = inList(alice, ROOT_TEXT).getByTestId("thread-summary");
  // The list positions itself for a moment after it opens (its rows may be drawn again): the
  // keyboard starts on the summary once it holds focus.
  await summary.waitFor();
  for (let i = 0; i < 20 && (await focusedTestId(alice)) !== "thread-summary"; i++) {
    await summary.focus();
    await alice.waitForTimeout(100);
  }
  assert.equal(await focusedTestId(alice), "thread-summary");
  await alice.keyboard.press("Enter");
  await panel(alice).waitFor();
  await alice.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Reply in thread");
  await alice.keyboard.type("Typed with the keyboard only");
  await alice.keyboard.press("Enter");
  await inThread(alice, "Typed with the keyboard only").waitFor();
  await screenshot(alice, "threads-9-keyboard-sent");
  await alice.keyboard.press("Escape");
  await panel(alice).waitFor({ state: "detached" });
  assert.equal(await focusedTestId(alice), "thread-summary", "focus is back on the summary it was opened from");
  assert.doesNotMatch(new URL(alice.url()).hash, /\/t\//, "the address no longer names the thread");
});

test("a phone-sized window: the panel covers the list, Back returns to it", async () => {
  const phone = await person("bob", { viewport: { width: 390, height: 844 } });
  await showConversationList(phone);
  await openGeneral(phone);
  await inList(phone, ROOT_TEXT).getByTestId("thread-summary").click();
  await panel(phone).waitFor();
  await inThread(phone, "I vote tacos").waitFor();
  const box = await panel(phone).boundingBox();
  assert.ok(box && box.x <= 0.5 && box.y <= 0.5 && box.width >= 389 && box.height >= 843, `the panel takes the screen (${JSON.stringify(box)})`);
  await phone.getByTestId("thread-back").waitFor();
  await screenshot(phone, "threads-10-phone-panel");
  await phone.getByTestId("thread-back").click();
  await panel(phone).waitFor({ state: "detached" });
  assert.ok((await onScreen(inList(phone, ROOT_TEXT))).inside, "back on the conversation");
  await screenshot(phone, "threads-11-phone-back");
});

test("search finds a reply and opens its thread at it", async () => {
  await atGeneral(bob);
  await bob.getByTestId("search-input").fill("tacos");
  await bob.getByTestId("search-input").press("Enter");
  const hit = bob.getByTestId("search-result").filter({ hasText: "tacos" });
  await hit.waitFor({ timeout: 15_000 });
  await hit.getByTestId("search-in-thread").waitFor();
  await screenshot(bob, "threads-12-search-hit");
  await hit.click();
  await panel(bob).waitFor();
  const found = inThread(bob, "I vote tacos");
  await found.waitFor();
  assert.match((await found.getAttribute("class")) ?? "", /highlighted/, "the reply is highlighted");
  assert.ok((await onScreen(found)).inside, "and in view");
  // The thread panel takes the search panel's place: the list keeps its width.
  await bob.getByTestId("search-panel").waitFor({ state: "detached" });
  const listBox = await list(bob).boundingBox();
  assert.ok(listBox && listBox.width > 300, `the main list stays usable (${JSON.stringify(listBox)})`);
  await screenshot(bob, "threads-13-search-opened-thread");
});

test("a reply written offline waits in the thread and goes out when the network is back", async () => {
  await atGeneral(alice);
  await inList(alice, ROOT_TEXT).getByTestId("thread-summary").click();
  await panel(alice).waitFor();
  await alice.context().setOffline(true);
  try {
    await waitForStatus(alice, "offline", 20_000);
    const text = "Written on the train";
    await panel(alice).getByTestId("composer").fill(text);
    await panel(alice).getByTestId("composer").press("Enter");
    const pending = panel(alice).locator('[data-testid="message"][data-state="pending"]').filter({ hasText: text });
    await pending.waitFor();
    assert.match(await pending.getByTestId("pending").innerText(), /Sending…/);
    assert.equal(await inList(alice, text).count(), 0, "in its thread, not in the list");
    await screenshot(alice, "threads-14-offline-reply-pending");
    await alice.context().setOffline(false);
    await waitForStatus(alice, "connected", 20_000);
    await inThread(alice, text).waitFor({ timeout: 20_000 });
    // Sent once: bob's summary counts what alice's does.
    const count = await inList(alice, ROOT_TEXT).getByTestId("thread-reply-count").innerText();
    await inList(bob, ROOT_TEXT).getByTestId("thread-reply-count").filter({ hasText: new RegExp(`^${count}$`) }).waitFor({ timeout: 8_000 });
    assert.equal(await panel(alice).locator('[data-testid="message"]').filter({ hasText: text }).count(), 1);
  } finally {
    await alice.context().setOffline(false);
  }
});

test("deleting a root with replies leaves a tombstone and the thread stays readable", async () => {
  await atGeneral(alice);
  const root = inList(alice, ROOT_TEXT);
  await root.hover();
  await root.getByTestId("delete").click();
  await alice.getByTestId("confirm-ok").click();
  const tombstone = list(alice).locator(`[data-message-id="${rootId}"]`);
  await tombstone.filter({ hasText: "This message was deleted." }).waitFor();
  await tombstone.getByTestId("thread-summary").click();
  await panel(alice).waitFor();
  await inThread(alice, "I vote tacos").waitFor();
  await panel(alice).locator(`[data-message-id="${rootId}"]`).filter({ hasText: "This message was deleted." }).waitFor();
  // bob sees the same, live.
  await list(bob).locator(`[data-message-id="${rootId}"]`).filter({ hasText: "This message was deleted." }).waitFor({ timeout: 8_000 });
  await screenshot(alice, "threads-15-root-deleted");
});
