// Browser notifications (issue 22.3), as alice gets them while bob writes (through the API):
// (a) no permission prompt on load; "Enable notifications" asks, and a refusal says where to allow them;
// (b) with two alice tabs hidden, bob's DM notifies once (one tab notifies), titled with bob's
//     name, the text as plain text; the tab title still counts unread;
// (c) #launch at its default (mentions): a plain message does not notify, a mention does;
// (d) a reply in a thread alice follows notifies; clicking it opens the thread at the reply;
// (e) alice sets #launch to "Nothing" with the bell: her other tab shows it live, a mention
//     notifies nothing, the level survives a reload;
// (f) clicking a DM notification opens the DM with the message on screen;
// (g) closing the notifying tab hands over to the other one, which notifies the first message
//     of a DM opened to alice since;
// (h) the bell on a phone, and a keyboard-only walk through it.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, notifications, onScreen, openTab, recordNotifications, screenshot, setHidden, showConversationList, signIn, suite, tabTo } from "./harness.mjs";
import { expectAccessible } from "./axe.mjs";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

const world = {};
let made = null;

/** Alice's #launch with bob in it, and bob's DM with alice (once, for every test). */
function setUp() {
  made ??= makeWorld();
  return made;
}

async function makeWorld() {
  world.alice = await stack.token("acme", "alice", "Alice Anderson");
  world.bob = await stack.token("acme", "bob", "Bob Brown");
  const created = await stack.api(world.alice, "POST", "/api/v1/chat/channels", { name: "launch", visibility: "public" });
  assert.ok(created.status < 300, JSON.stringify(created.body));
  world.launch = created.body.id;
  const invited = await stack.api(world.alice, "POST", `/api/v1/chat/channels/${world.launch}/members`, { userId: "bob" });
  assert.ok(invited.status < 300, JSON.stringify(invited.body));
  const dm = await stack.api(world.bob, "POST", "/api/v1/chat/dms", { userId: "alice" });
  assert.ok(dm.status === 200 || dm.status === 201, JSON.stringify(dm.body));
  world.dm = dm.body.id;
}

async function send(token, conversation, body, extra = {}) {
  const r = await stack.api(token, "POST", `/api/v1/chat/conversations/${conversation}/messages`, { clientMessageId: crypto.randomUUID(), body, mentions: [], ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Waits until the page has shown `count` notifications, and returns them. */
async function waitForNotifications(page, count) {
  await page.waitForFunction((n) => window.__notifications.length >= n, count, { timeout: 15_000 });
  return notifications(page);
}

/** A sidebar row by the title it shows (a DM shows the other person's name). */
function row(page, title) {
  return page.locator("nav.sidebar button.conv").filter({ hasText: new RegExp(`^(#)?${title}`) });
}

/** Waits until the row's unread badge reads `text`: the tab has handled the frames counted. */
async function waitForBadge(page, title, text) {
  await row(page, title).getByTestId("unread-badge").filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: 15_000 });
}

function bell(page) {
  return page.getByTestId("notify-level-button");
}

test("asking for permission: never on load, from the control; a refusal says what to do", async () => {
  await setUp();
  const context = await browser("notify-permission");
  contexts.push(context);
  await recordNotifications(context);
  const page = await signIn(context, stack, "carol");
  const enable = page.getByRole("button", { name: "Enable notifications" });
  await enable.waitFor();
  assert.equal(await page.evaluate(() => window.__permissionRequests), 0, "no prompt on page load");
  await enable.click();
  // Headless Chromium refuses a prompt it cannot show: the sidebar says where to allow them.
  const denied = page.getByTestId("notifications-denied");
  await denied.waitFor();
  assert.equal(await page.evaluate(() => window.__permissionRequests), 1);
  assert.match(await denied.innerText(), /blocked: allow them in the browser's site settings/);
  await screenshot(page, "notifications-denied");
});

test("notifications as alice gets them, from one tab, at the levels she sets", async () => {
  await setUp();
  const context = await browser("notify-alice");
  contexts.push(context);
  await context.grantPermissions(["notifications"], { origin: stack.url });
  await recordNotifications(context);
  const first = await signIn(context, stack, "alice");
  await first.getByTestId("notifications-on").waitFor();
  const second = await openTab(context, stack, "alice");
  const tabs = [first, second];
  for (const tab of tabs) await setHidden(tab, true);

  // (b) Bob's DM: one notification, from one of the two tabs.
  await send(world.bob, world.dm, "**Lunch** at _noon_?");
  await send(world.bob, world.dm, "say yes");
  await Promise.race(tabs.map((tab) => waitForNotifications(tab, 2)));
  const leader = (await notifications(first)).length > 0 ? first : second;
  const follower = leader === first ? second : first;
  // The other tab has handled both frames (its badge counts them) and shown nothing.
  await waitForBadge(follower, "Bob Brown", "2");
  assert.deepEqual(await notifications(follower), []);
  const dmShown = await notifications(leader);
  assert.deepEqual(
    dmShown.map(({ title, body }) => ({ title, body })),
    [
      { title: "Bob Brown", body: "Lunch at noon?" },
      { title: "Bob Brown", body: "say yes" },
    ],
  );
  // The tab title still leads with the unread total.
  assert.match(await leader.title(), /^\(2\) /);

  // (c) #launch at its default, mentions: a plain message does not notify, a mention does.
  await send(world.bob, world.launch, "plain chatter");
  await send(world.bob, world.launch, "@alice please review", { mentions: ["alice"] });
  const afterMention = await waitForNotifications(leader, 3);
  assert.deepEqual(afterMention.slice(2).map(({ title, body }) => ({ title, body })), [{ title: "Bob Brown in #launch", body: "@alice please review" }]);

  // (d) A reply in alice's own thread (she follows it from its first reply) notifies; a click
  // opens the thread at the reply.
  const root = await send(world.alice, world.launch, "Design doc is up");
  const reply = await send(world.bob, world.launch, "Looks good to me", { threadRootId: root.id });
  const afterReply = await waitForNotifications(leader, 4);
  assert.deepEqual(afterReply.slice(3).map(({ title, body, tag }) => ({ title, body, tag })), [{ title: "Bob Brown replied in #launch", body: "Looks good to me", tag: reply.id }]);
  await setHidden(leader, false);
  await leader.evaluate(() => window.__notifications[3].onclick());
  const panel = leader.getByTestId("thread-panel");
  await panel.waitFor();
  assert.equal(await panel.getAttribute("data-root-id"), root.id);
  const replyRow = panel.locator(`[data-message-id="${reply.id}"]`);
  await replyRow.waitFor();
  assert.ok((await onScreen(replyRow)).inside, "the reply is on screen");
  assert.equal(await leader.getByTestId("conversation-title").innerText(), "#launch");
  await screenshot(leader, "notifications-thread-opened");

  // (e) Alice sets #launch to Nothing with the bell, in the visible tab.
  await bell(leader).click();
  const menu = leader.getByTestId("notify-level-menu");
  await menu.waitFor();
  await screenshot(leader, "notifications-bell-menu");
  await leader.getByRole("menuitemradio", { name: /Nothing/ }).click();
  await menu.waitFor({ state: "detached" });
  assert.equal(await bell(leader).getAttribute("aria-label"), "Notifications for #launch: Nothing");
  // Her other tab learns it live: it shows there once #launch is open.
  await row(follower, "launch").click();
  await follower.getByRole("button", { name: "Notifications for #launch: Nothing" }).waitFor();
  for (const tab of tabs) await setHidden(tab, true);
  await send(world.bob, world.launch, "@alice are you there?", { mentions: ["alice"] });
  // A DM after it: once it has notified, the mention before it was handled and notified nothing.
  await send(world.bob, world.dm, "ping");
  const afterNothing = await waitForNotifications(leader, 5);
  assert.deepEqual(afterNothing.slice(4).map(({ title, body }) => ({ title, body })), [{ title: "Bob Brown", body: "ping" }]);
  assert.deepEqual(await notifications(follower), []);

  // (f) Clicking the DM notification opens the DM with the message on screen.
  await setHidden(leader, false);
  const ping = afterNothing[4];
  await leader.evaluate(() => window.__notifications[4].onclick());
  await leader.getByTestId("conversation-title").filter({ hasText: /^Bob Brown$/ }).waitFor();
  const pingRow = leader.locator(`[data-testid="message"][data-message-id="${ping.tag}"]`);
  await pingRow.waitFor();
  assert.ok((await onScreen(pingRow)).inside, "the message is on screen");
  await screenshot(leader, "notifications-dm-opened");

  // (g) The notifying tab closes (on screen): the other one takes over, and does not take the
  // closed tab for one still on screen.
  // As a person closes a tab (the page's unload handlers run).
  // What the browser does on the close, awaited before bob writes: the closed tab's goodbye on
  // the tabs' channel, and its Web Lock granted to the other tab (held by another client).
  await follower.evaluate(() => {
    window.__tabFrames = [];
    new BroadcastChannel("tenant-chat-notify:acme:alice").onmessage = (e) => window.__tabFrames.push(e.data.type);
  });
  const holder = await follower.evaluate(async () => (await navigator.locks.query()).held[0]?.clientId);
  assert.ok(holder, "the notifying tab holds the lock");
  await leader.close({ runBeforeUnload: true });
  await follower.waitForFunction(
    async (closed) => {
      const { held } = await navigator.locks.query();
      return window.__tabFrames.includes("gone") && held.length === 1 && held[0].clientId !== closed;
    },
    holder,
    { timeout: 15_000 },
  );
  // ... and the tab itself has taken it up (the grant reaches its script after the lock manager).
  await follower.locator('[data-testid="notifications-on"][data-notifying-tab="true"]').waitFor({ timeout: 15_000 });
  await send(world.bob, world.dm, "still there?");
  const handedOver = await waitForNotifications(follower, 1).catch(async (e) => {
    // What the remaining tab knew, for whoever reads a failure of the handover.
    console.log("handover state", await follower.evaluate(async () => JSON.stringify({ vis: document.visibilityState, frames: window.__tabFrames, locks: await navigator.locks.query(), n: window.__notifications.length, title: document.title, perm: Notification.permission })));
    throw e;
  });
  assert.deepEqual(handedOver.map(({ title, body }) => ({ title, body })), [{ title: "Bob Brown", body: "still there?" }]);

  // A DM opened to alice just now (her tab lists it live): its first message notifies, once.
  const carol = await stack.token("acme", "carol", "Carol Chen");
  const newDm = await stack.api(carol, "POST", "/api/v1/chat/dms", { userId: "alice" });
  assert.ok(newDm.status < 300, JSON.stringify(newDm.body));
  await row(follower, "Carol Chen").waitFor({ timeout: 15_000 });
  await send(carol, newDm.body.id, "Hi Alice, got a minute?");
  const fromCarol = await waitForNotifications(follower, 2);
  await waitForBadge(follower, "Carol Chen", "1");
  assert.deepEqual(fromCarol.slice(1).map(({ title, body }) => ({ title, body })), [{ title: "Carol Chen", body: "Hi Alice, got a minute?" }]);

  // The level survives a reload (the server keeps it).
  await follower.reload();
  await follower.getByTestId("chat").waitFor();
  await row(follower, "launch").click();
  await follower.getByRole("button", { name: "Notifications for #launch: Nothing" }).waitFor();
  await follower.getByTestId("message-body").filter({ hasText: "are you there?" }).waitFor();
  await screenshot(follower, "notifications-after-reload");
});

test("the bell on a phone, and by keyboard alone", async () => {
  await setUp();
  const context = await browser("notify-phone", { viewport: { width: 390, height: 844 } });
  contexts.push(context);
  const page = await signIn(context, stack, "bob");
  await showConversationList(page);
  await row(page, "launch").click();
  await page.getByTestId("conversation-title").filter({ hasText: /^#launch$/ }).waitFor();
  const button = bell(page);
  assert.ok((await onScreen(button)).inside, "the bell is on screen on a phone");
  // Keyboard only: Tab reaches the bell, Enter opens the menu at the current level.
  await page.locator("body").focus();
  await tabTo(page, button);
  assert.equal(await button.getAttribute("aria-label"), "Notifications for #launch: Mentions");
  await page.keyboard.press("Enter");
  const menu = page.getByTestId("notify-level-menu");
  await menu.waitFor();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
  assert.equal(await focused(), "notify-level-mentions", "the current level has the keyboard");
  assert.ok((await onScreen(menu)).inside, "the menu fits the phone's window");
  await expectAccessible(page, "the notification level menu on a phone");
  await screenshot(page, "notifications-phone-menu");
  // Escape closes without a change, focus back on the bell.
  await page.keyboard.press("Escape");
  await menu.waitFor({ state: "detached" });
  assert.equal(await focused(), "notify-level-button");
  // Down arrow opens it too; arrows move (wrapping), Enter chooses.
  await page.keyboard.press("ArrowDown");
  await menu.waitFor();
  await page.keyboard.press("ArrowUp");
  assert.equal(await focused(), "notify-level-all");
  await page.keyboard.press("ArrowUp");
  assert.equal(await focused(), "notify-level-nothing", "wraps to the last");
  await page.keyboard.press("Home");
  assert.equal(await focused(), "notify-level-all");
  const stored = page.waitForResponse((r) => r.url().endsWith(`/conversations/${world.launch}/notifications`) && r.request().method() === "PUT");
  await page.keyboard.press("Enter");
  await menu.waitFor({ state: "detached" });
  assert.equal(await focused(), "notify-level-button");
  await page.getByRole("button", { name: "Notifications for #launch: All new messages" }).waitFor();
  // Stored once the server answered: its list says so.
  assert.equal((await stored).status(), 200);
  const { body } = await stack.api(world.bob, "GET", "/api/v1/chat/conversations");
  assert.equal(body.items.find((c) => c.id === world.launch).notificationLevel, "all");
  await screenshot(page, "notifications-phone-after");
});
