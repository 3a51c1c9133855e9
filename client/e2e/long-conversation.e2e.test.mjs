// Long conversations as a person sees them: the page never grows (header, sidebar and composer
// stay put, the list scrolls by itself), a channel opens at its newest message or under a
// "New messages" divider, new messages follow at the bottom or gather in a pill, older pages
// load without the view jumping, a search hit opens around the message, 10,000 messages stay a
// short DOM, and a phone-sized window works.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, pageScroll, screenshot, seedMessages, signIn, suite } from "./harness.mjs";

// Seeding hundreds of messages needs the send limit off (10 per 10 s per user and conversation).
const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

const scroller = (page) => page.locator('[data-testid="messages"] [data-virtuoso-scroller]');
const row = (page, text) => page.locator('[data-testid="message"]').filter({ has: page.getByTestId("message-body").getByText(text, { exact: true }) });

/** Inside the message list's visible area (not merely in the DOM). */
async function inList(page, locator) {
  if ((await locator.count()) === 0) return false;
  const list = await scroller(page).boundingBox();
  // The row may leave the DOM (virtualised) between the count and the measure.
  const box = await locator.boundingBox({ timeout: 1_000 }).catch(() => null);
  return Boolean(list && box && box.y >= list.y - 1 && box.y + box.height <= list.y + list.height + 1);
}

async function waitInList(page, locator, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if ((await locator.count()) > 0 && (await inList(page, locator.first()))) return;
    if (Date.now() > deadline) throw new Error(`${what} is not in view`);
    await page.waitForTimeout(100);
  }
}

async function assertPageFixed(page, label) {
  const s = await pageScroll(page);
  assert.ok(s.scrollHeight <= s.innerHeight, `${label}: the page grew to ${s.scrollHeight}px in a ${s.innerHeight}px window`);
  assert.ok(s.scrollWidth <= s.innerWidth, `${label}: the page scrolls sideways (${s.scrollWidth}px in ${s.innerWidth}px)`);
  const composer = await onScreen(page.getByTestId("composer"));
  assert.ok(composer.inside, `${label}: the composer is off-screen (${JSON.stringify(composer.box)})`);
  const title = await onScreen(page.getByTestId("conversation-title"));
  assert.ok(title.inside, `${label}: the header is off-screen`);
}

let aliceToken;
let bobToken;
let longId;

/** The channel #long: 300 of alice's messages and bob as a member (the first test seeds it,
 * after the suite's stack is up). */
async function seed() {
  aliceToken = await stack.token("acme", "alice", "Alice Admin");
  bobToken = await stack.token("acme", "bob", "Bob Brown");
  const created = await stack.api(aliceToken, "POST", "/api/v1/chat/channels", { name: "long", visibility: "public" });
  longId = created.body.id;
  await stack.api(bobToken, "POST", `/api/v1/chat/channels/${longId}/join`);
  // 300 of alice's own (nothing unread for her), each with a word search can find alone.
  await seedMessages(
    stack,
    aliceToken,
    longId,
    Array.from({ length: 300 }, (_, i) => `long ${i + 1} tag${i + 1}x`),
  );
}

const body = (i) => `long ${i} tag${i}x`;

test("a long channel opens at its newest message and only the list scrolls", async () => {
  await seed();
  const context = await browser("alice-long");
  contexts.push(context);
  const alice = await signIn(context, stack, "alice");
  await alice.getByTestId("conv-long").click();
  await waitInList(alice, row(alice, body(300)), "the newest message at open");
  await assertPageFixed(alice, "at open");
  const rows = await alice.getByTestId("message").count();
  assert.ok(rows < 120, `only rows near the view are in the DOM (${rows})`);
  await screenshot(alice, "long-open-at-newest");

  // Scrolling the list moves neither the sidebar nor the header.
  const sidebarBefore = await alice.locator(".sidebar").boundingBox();
  await scroller(alice).hover();
  await alice.mouse.wheel(0, -1500);
  await alice.waitForTimeout(300);
  const sidebarAfter = await alice.locator(".sidebar").boundingBox();
  assert.equal(sidebarAfter.y, sidebarBefore.y, "the sidebar stays put");
  await assertPageFixed(alice, "scrolled up");
  assert.ok(!(await inList(alice, row(alice, body(300)))), "scrolled away from the newest");
  await screenshot(alice, "long-scrolled-up");

  // Scrolled up: bob's three new messages gather in a pill; the newest is not pulled into view.
  const token = bobToken;
  await seedMessages(stack, token, longId, ["pill one", "pill two", "pill three"]);
  const pill = alice.getByTestId("new-messages-pill");
  await pill.filter({ hasText: "3 new messages" }).waitFor({ timeout: 10_000 });
  assert.ok((await onScreen(pill)).inside, "the pill is on screen");
  assert.ok(!(await inList(alice, row(alice, "pill three"))), "the view did not jump down");
  await screenshot(alice, "long-new-messages-pill");
  await pill.click();
  await waitInList(alice, row(alice, "pill three"), "the newest after the pill");
  await pill.waitFor({ state: "detached" });
  await screenshot(alice, "long-after-pill");

  // At the bottom: someone else's message and my own both stay in view.
  await seedMessages(stack, token, longId, ["bob at the bottom"]);
  await waitInList(alice, row(alice, "bob at the bottom"), "a new message at the bottom");
  await alice.getByTestId("composer").fill("alice at the bottom");
  await alice.getByTestId("composer").press("Enter");
  await waitInList(alice, row(alice, "alice at the bottom"), "my own new message");
  assert.equal(await alice.getByTestId("new-messages-pill").count(), 0, "no pill at the bottom");
  await assertPageFixed(alice, "after sending");
});

test("scrolling up loads older pages and the message on screen keeps its place", async () => {
  const alice = contexts[0].pages()[0];
  // Hold each older page until its position was measured, then let it through.
  let release = () => {};
  let requested = 0;
  await alice.route(/\/messages\?.*before=/, async (route) => {
    requested += 1;
    await new Promise((r) => {
      release = r;
    });
    await route.continue();
  });
  for (let round = 0; round < 3; round++) {
    const before = requested;
    await scroller(alice).evaluate((el) => el.scrollTo({ top: 0 }));
    const deadline = Date.now() + 10_000;
    while (requested === before) {
      if (Date.now() > deadline) throw new Error("no older page was asked for at the top");
      await alice.waitForTimeout(50);
    }
    await alice.waitForTimeout(200);
    const top = alice.getByTestId("message").first();
    const id = await top.getAttribute("data-message-id");
    const y = (await top.boundingBox()).y;
    const text = await top.getByTestId("message-body").innerText();
    const rowsBefore = await alice.locator('[data-testid="message"]').count();
    if (round === 0) await screenshot(alice, "long-top-before-older-page");
    release();
    await alice.getByText("Loading older messages…").waitFor({ state: "detached", timeout: 10_000 });
    await alice.waitForTimeout(300);
    const same = alice.locator(`[data-testid="message"][data-message-id="${id}"]`);
    const yAfter = (await same.boundingBox()).y;
    assert.ok(Math.abs(yAfter - y) <= 4, `round ${round}: "${text}" moved from ${y} to ${yAfter}`);
    assert.ok(rowsBefore > 0);
    if (round === 0) await screenshot(alice, "long-top-after-older-page");
  }
  await alice.unroute(/\/messages\?.*before=/);
  await assertPageFixed(alice, "after older pages");
});

test("unread messages open under a 'New messages' divider at the first unread", async () => {
  const alice = contexts[0].pages()[0];
  // Alice has read everything; she goes away and bob writes 80 (more than a page).
  const { body: page } = await stack.api(aliceToken, "GET", `/api/v1/chat/conversations/${longId}/messages?limit=1`);
  await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${longId}/read`, { messageId: page.items[0].id });
  await alice.goto("about:blank");
  await seedMessages(
    stack,
    bobToken,
    longId,
    Array.from({ length: 80 }, (_, i) => `unread ${i + 1}`),
  );
  await alice.goto(`${stack.url}/#/c/${longId}`);
  if (await alice.getByTestId("signin-alice").isVisible().catch(() => false)) await alice.getByTestId("signin-alice").click();
  await alice.getByTestId("conversation-title").filter({ hasText: "#long" }).waitFor();
  const divider = alice.getByTestId("new-messages-divider");
  await divider.waitFor({ timeout: 15_000 });
  assert.ok(await inList(alice, divider), "the divider is in view");
  const first = row(alice, "unread 1");
  assert.ok(await inList(alice, first), "the first unread is in view");
  const d = await divider.boundingBox();
  const f = await first.boundingBox();
  assert.ok(f.y >= d.y + d.height - 1 && f.y - (d.y + d.height) < 12, `the divider sits right above the first unread (${d.y}+${d.height} vs ${f.y})`);
  const list = await scroller(alice).boundingBox();
  assert.ok(d.y - list.y < list.height / 3, "the divider is near the top of the list, the unread below it");
  assert.equal(await alice.getByTestId("new-messages-divider").count(), 1);
  await assertPageFixed(alice, "divider");
  await screenshot(alice, "long-unread-divider");
  // Clicking the conversation already open keeps the place: the divider and the first unread stay.
  const before = await first.boundingBox();
  await alice.getByTestId("conv-long").click();
  await alice.waitForTimeout(500);
  assert.equal(await alice.getByTestId("new-messages-divider").count(), 1, "the divider stays");
  assert.ok(await inList(alice, first), "the first unread is still in view");
  assert.ok(Math.abs((await first.boundingBox()).y - before.y) < 2, "the list did not move");
});

test("a search hit far back opens around it, centred and highlighted, and scrolls both ways", async () => {
  const alice = contexts[0].pages()[0];
  const historyRequests = [];
  alice.on("request", (r) => {
    if (r.url().includes(`/conversations/${longId}/messages?`)) historyRequests.push(r.url());
  });
  await alice.getByTestId("conv-general").click();
  await alice.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  await alice.reload();
  await alice.getByTestId("chat").waitFor();
  historyRequests.length = 0;
  await alice.getByTestId("search-input").fill("tag37x");
  await alice.getByTestId("search-input").press("Enter");
  await alice.getByTestId("search-result").first().click();
  const hit = row(alice, body(37));
  await waitInList(alice, hit, "the search hit");
  await alice.waitForTimeout(300);
  assert.match((await hit.getAttribute("class")) ?? "", /highlighted/, "the hit is highlighted");
  const list = await scroller(alice).boundingBox();
  const box = await hit.boundingBox();
  const centre = box.y + box.height / 2;
  const middle = list.y + list.height / 2;
  assert.ok(Math.abs(centre - middle) < list.height * 0.2, `the hit is centred (${centre} vs ${middle})`);
  assert.ok(historyRequests.length <= 4, `loaded around the hit, not page after page back (${historyRequests.length} requests)`);
  assert.ok(historyRequests.some((u) => u.includes("after=")), "newer messages were asked for after the hit");
  await screenshot(alice, "long-search-hit-centred");

  // Older pages above the hit, down to the first message.
  for (let i = 0; i < 20 && !(await inList(alice, row(alice, body(1)))); i++) {
    await scroller(alice).evaluate((el) => el.scrollTo({ top: 0 }));
    await alice.waitForTimeout(300);
  }
  await waitInList(alice, row(alice, body(1)), "the first message above the hit");
  // Newer pages below it, down to the newest.
  // The newest is bob's last unread from the test before.
  for (let i = 0; i < 40 && !(await inList(alice, row(alice, "unread 80"))); i++) {
    await scroller(alice).evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await alice.waitForTimeout(300);
  }
  await waitInList(alice, row(alice, "unread 80"), "the newest message below the hit");
  assert.equal(await alice.getByText("Scroll down for newer messages").count(), 0, "nothing newer is left to load");
  await assertPageFixed(alice, "search hit");
  await screenshot(alice, "long-search-scrolled-to-newest");
});

test("10,000 messages: a short DOM, and scrolling up reaches the first", async () => {
  const created = await stack.api(aliceToken, "POST", "/api/v1/chat/channels", { name: "huge", visibility: "public" });
  const hugeId = created.body.id;
  await seedMessages(
    stack,
    aliceToken,
    hugeId,
    Array.from({ length: 10_000 }, (_, i) => `huge message number ${i + 1}`),
    { concurrency: 8 },
  );
  const { body: count } = await stack.api(aliceToken, "GET", `/api/v1/chat/conversations/${hugeId}/messages?limit=1`);
  assert.ok(count.items[0].body.startsWith("huge message number"));
  const alice = contexts[0].pages()[0];
  await alice.reload();
  await alice.getByTestId("conv-huge").click();
  await alice.getByTestId("conversation-title").filter({ hasText: "#huge" }).waitFor();
  await alice.getByTestId("message").first().waitFor();
  let most = 0;
  const beginning = alice.getByText("This is the beginning of the conversation.");
  for (let i = 0; i < 400; i++) {
    if ((await beginning.count()) > 0 && (await inList(alice, beginning))) break;
    await scroller(alice).evaluate((el) => el.scrollTo({ top: 0 }));
    await alice.waitForTimeout(120);
    most = Math.max(most, await alice.getByTestId("message").count());
  }
  await waitInList(alice, beginning, "the beginning of 10,000 messages");
  await waitInList(alice, row(alice, "huge message number 1").or(alice.getByTestId("message").first()), "the first rows");
  const held = await alice.evaluate(() => document.querySelectorAll('[data-testid="message"]').length);
  assert.ok(most < 300 && held < 300, `the DOM holds few rows (at most ${most}) though 10,000 are loaded`);
  await assertPageFixed(alice, "10,000 at the top");
  await screenshot(alice, "huge-at-the-beginning");
});

test("a phone-sized window: no sideways scroll, the composer in view, one pane at a time", async () => {
  const context = await browser("bob-phone", { viewport: { width: 390, height: 844 } });
  contexts.push(context);
  const bob = await signIn(context, stack, "bob");
  await screenshot(bob, "phone-open");
  assert.ok((await onScreen(bob.getByTestId("conv-long"))).inside, "the conversation list is the first pane");
  await bob.getByTestId("conv-long").click();
  await bob.getByTestId("conversation-title").filter({ hasText: "#long" }).waitFor();
  await bob.getByTestId("message").first().waitFor();
  await assertPageFixed(bob, "phone");
  assert.ok(!(await bob.getByTestId("conv-long").isVisible()), "the list gave way to the conversation");
  await bob.getByTestId("composer").fill("from a phone");
  await bob.getByTestId("composer").press("Enter");
  await waitInList(bob, row(bob, "from a phone"), "the phone's own message");
  await assertPageFixed(bob, "phone after sending");
  await screenshot(bob, "phone-long-conversation");
});
