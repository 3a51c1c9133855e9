// Unread stays right, as bob sees it in the sidebar while alice writes (through the API):
// (a) what arrives while #general is open and visible is read, also after a reload;
// (b) a DM's badge counts 3, clears when he opens it and stays cleared after a reload;
// (c) a deleted unread message lowers the badge live and after a reload;
// (d) a frame delivered twice (as a replaced socket and its successor both deliver it) counts once;
// (e) after the network drops, the badge reconciles with the server on reconnect, and a message
//     that arrives while that answer is on its way is not lost from it.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, screenshot, signIn, suite, waitForStatus } from "./harness.mjs";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

/** A sidebar row by the title it shows (a DM shows the other person's name). */
function row(page, title) {
  return page.locator("nav.sidebar button.conv").filter({ hasText: new RegExp(`^(#)?${title}`) });
}

async function badgeText(page, title) {
  const badge = row(page, title).getByTestId("unread-badge");
  return (await badge.count()) === 0 ? null : badge.innerText();
}

async function waitForBadge(page, title, text) {
  if (text === null) {
    await row(page, title).getByTestId("unread-badge").waitFor({ state: "detached", timeout: 8_000 });
  } else {
    await row(page, title).getByTestId("unread-badge").filter({ hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: 8_000 });
  }
}

/** The tab's title leads with the unread total the sidebar's badges add up to. */
async function titleMatchesBadges(page) {
  await page.waitForFunction(() => {
    const total = [...document.querySelectorAll("nav.sidebar [data-testid='unread-badge']")].reduce((sum, b) => sum + Number(b.textContent), 0);
    const count = document.title.match(/^\((\d+)\) /)?.[1];
    return total === 0 ? count === undefined : Number(count) === total;
  }, undefined, { timeout: 8_000 });
  return page.title();
}

async function atBottom(page) {
  return page.getByTestId("message-scroller").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
}

test("unread counts stay right: reading, DMs, deletes, duplicate frames, reconnects", async (t) => {
  const bobContext = await browser("bob-unread");
  contexts.push(bobContext);
  // Every frame from the server passes through here; `duplicate` sends new messages twice, and
  // `offline` drops the socket and refuses new ones (with the browser's own offline emulation).
  const net = { duplicate: false, offline: false, sockets: new Set() };
  await bobContext.routeWebSocket(/\/ws/, (ws) => {
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
    server.onMessage((m) => {
      ws.send(m);
      if (net.duplicate && typeof m === "string" && m.includes('"chat:newMessage"')) ws.send(m);
    });
  });
  const bob = await signIn(bobContext, stack, "bob");
  const alice = await stack.token("acme", "alice", "Alice Anderson");
  const bobToken = await stack.token("acme", "bob", "Bob Brown");
  const send = async (conversation, body) => {
    const r = await stack.api(alice, "POST", `/api/v1/chat/conversations/${conversation}/messages`, { clientMessageId: crypto.randomUUID(), body, mentions: [] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const serverCounts = async () => {
    const { body } = await stack.api(bobToken, "GET", "/api/v1/chat/conversations");
    return Object.fromEntries(body.items.map((c) => [c.name ?? "dm", c.unreadCount]));
  };
  const general = await conversationId(stack, alice, "general");
  const random = await conversationId(stack, alice, "random");
  const leadership = await conversationId(stack, alice, "leadership");

  // Each part starts from where it needs bob to be, so one failing does not hide the others.
  let dm = null;
  await t.test("(a) what arrives while reading stays read after a reload", async () => {
    await row(bob, "general").click();
    await bob.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
    for (let i = 1; i <= 5; i++) await send(general, `general ${i}`);
    await bob.getByTestId("message-body").filter({ hasText: "general 5" }).waitFor();
    assert.equal(await badgeText(bob, "general"), null, "no badge on the conversation being read");
    await screenshot(bob, "unread-a-reading-general");
    await bob.reload();
    await bob.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
    await bob.getByTestId("message-body").filter({ hasText: "general 5" }).waitFor();
    assert.equal(await bob.getByTestId("new-messages-divider").count(), 0, "nothing read comes back as new after a reload");
    assert.equal(await badgeText(bob, "general"), null);
    assert.ok((await onScreen(bob.getByTestId("message-body").last())).inside, "the newest message is in view");
    assert.ok((await atBottom(bob)) < 45, "the list is at its bottom");
    assert.equal((await serverCounts()).general, 0, "the server has them read");
    await screenshot(bob, "unread-a-after-reload");
  });

  await t.test("(b) a DM's badge clears when it is opened, also after a reload", async () => {
    await row(bob, "random").click();
    await bob.getByTestId("conversation-title").filter({ hasText: "#random" }).waitFor();
    dm = (await stack.api(alice, "POST", "/api/v1/chat/dms", { userId: "bob" })).body.id;
    for (let i = 1; i <= 3; i++) await send(dm, `dm ${i}`);
    await waitForBadge(bob, "Alice Anderson", "3");
    const titled = await titleMatchesBadges(bob);
    assert.match(titled, /^\(\d+\) #random · Tenant Chat$/, "the tab shows the unread total and the open conversation");
    await screenshot(bob, "unread-b-dm-badge-3");
    await row(bob, "Alice Anderson").click();
    await bob.getByTestId("conversation-title").filter({ hasText: "Alice Anderson" }).waitFor();
    await waitForBadge(bob, "Alice Anderson", null);
    const read = await titleMatchesBadges(bob);
    const total = (title) => Number(title.match(/^\((\d+)\) /)?.[1] ?? 0);
    assert.ok(read.endsWith("Alice Anderson · Tenant Chat"), read);
    assert.equal(total(read), total(titled) - 3, `the total drops by the three read: ${titled} → ${read}`);
    // The divider sits right above the first of the three.
    const divider = await bob.getByTestId("new-messages-divider").boundingBox();
    const firstUnread = await bob.getByTestId("message-body").filter({ hasText: "dm 1" }).boundingBox();
    assert.ok(divider && firstUnread && divider.y < firstUnread.y && firstUnread.y - divider.y < 60, "the New messages divider is just above dm 1");
    await screenshot(bob, "unread-b-dm-opened");
    await bob.reload();
    await bob.getByTestId("conversation-title").filter({ hasText: "Alice Anderson" }).waitFor();
    await bob.getByTestId("message-body").filter({ hasText: "dm 3" }).waitFor();
    assert.equal(await badgeText(bob, "Alice Anderson"), null, "the DM stays read after a reload");
    assert.equal(await bob.getByTestId("new-messages-divider").count(), 0);
    assert.equal((await serverCounts()).dm, 0);
    await screenshot(bob, "unread-b-dm-after-reload");
  });

  await t.test("(c) a deleted unread message lowers the badge, live and after a reload", async () => {
    await row(bob, "Alice Anderson").click();
    await bob.getByTestId("message-body").filter({ hasText: "dm 3" }).waitFor();
    await send(random, "random 1");
    const second = await send(random, "random 2");
    await waitForBadge(bob, "random", "2");
    const deleted = await stack.api(alice, "DELETE", `/api/v1/chat/conversations/${random}/messages/${second.id}`);
    assert.equal(deleted.status, 200);
    await waitForBadge(bob, "random", "1");
    await screenshot(bob, "unread-c-deleted-lowers-badge");
    await bob.reload();
    await bob.getByTestId("message-body").filter({ hasText: "dm 3" }).waitFor();
    assert.equal(await badgeText(bob, "random"), "1", "one unread after the reload");
    assert.equal((await serverCounts()).random, 1, "the server agrees");
  });

  // Every new-message frame now arrives twice: each counts once, for a conversation loaded
  // (#general) and one never opened (#leadership).
  await t.test("(d) a frame delivered twice counts once", async () => {
    await bob.getByTestId("message-body").filter({ hasText: "dm 3" }).waitFor();
    net.duplicate = true;
    await send(general, "general twice");
    await send(leadership, "leadership twice");
    await waitForBadge(bob, "general", "1");
    await waitForBadge(bob, "leadership", "1");
    // A later frame proves the duplicates were all handled before the badges are read again.
    await send(random, "random 3");
    await row(bob, "random").getByTestId("unread-badge").filter({ hasText: /^(2|3)$/ }).waitFor({ timeout: 8_000 });
    assert.equal(await badgeText(bob, "random"), "2", "a duplicate frame counts once (the conversation being counted)");
    assert.equal(await badgeText(bob, "general"), "1", "a duplicate frame counts once (loaded conversation)");
    assert.equal(await badgeText(bob, "leadership"), "1", "a duplicate frame counts once (conversation never opened)");
    await screenshot(bob, "unread-d-duplicates-count-once");
    net.duplicate = false;
  });

  // Bob reads #leadership, goes back to the DM, and his network drops; alice writes 2 there.
  await t.test("(e) after a network drop the badge reconciles with the server", async () => {
    await row(bob, "leadership").click();
    await bob.getByTestId("message-body").filter({ hasText: "leadership twice" }).waitFor();
    await waitForBadge(bob, "leadership", null);
    await row(bob, "Alice Anderson").click();
    await bob.getByTestId("message-body").filter({ hasText: "dm 3" }).waitFor();
    net.offline = true;
    await bobContext.setOffline(true);
    for (const ws of net.sockets) ws.close({ code: 1006, reason: "network lost" });
    await bob.locator('[data-testid="connection-status"]:not([data-status="connected"])').waitFor({ timeout: 20_000 });
    await send(leadership, "while you were away 1");
    await send(leadership, "while you were away 2");
    await screenshot(bob, "unread-e-offline");
    assert.equal(await badgeText(bob, "leadership"), null, "nothing arrives while offline");
    // Back online, the page asks for the list; the server answers it at once, but the answer is
    // slow to arrive, and alice's third message comes live before it does. The answer must not
    // replace the newer count.
    let answered = null;
    const listAnswered = new Promise((r) => (answered = r));
    let release = null;
    const released = new Promise((r) => (release = r));
    await bobContext.route("**/api/v1/chat/conversations", async (route) => {
      const response = await route.fetch();
      if (answered) {
        answered();
        answered = null;
        await released;
      }
      await route.fulfill({ response });
    });
    net.offline = false;
    await bobContext.setOffline(false);
    await waitForStatus(bob, "connected", 40_000);
    await listAnswered;
    await send(leadership, "while the list was on its way");
    await row(bob, "leadership").getByTestId("unread-badge").waitFor({ timeout: 8_000 });
    release();
    await waitForBadge(bob, "leadership", "3");
    // Nothing later takes it back (the page settles on what the server says).
    await bob.waitForTimeout(1_000);
    assert.equal(await badgeText(bob, "leadership"), "3");
    await bobContext.unroute("**/api/v1/chat/conversations");
    await screenshot(bob, "unread-e-reconnected");
  });

  await t.test("after a reload every badge matches the server", async () => {
    await bob.reload();
    await bob.getByTestId("message-body").filter({ hasText: "dm 3" }).waitFor();
    const counts = await serverCounts();
    assert.deepEqual(counts, { general: 1, random: 2, leadership: 3, dm: 0 });
    for (const [title, n] of [["general", "1"], ["random", "2"], ["leadership", "3"], ["Alice Anderson", null]]) {
      assert.equal(await badgeText(bob, title), n, `${title} after the reload matches the server`);
    }
    await screenshot(bob, "unread-after-reload");
  });
});
