// Browser tests for flaky networks, as people meet them: sends written while the browser is
// offline stay pending and go out by themselves, in order and once, when it is back; unsent
// messages survive a reload; a rate-limited send counts down and retries by itself; a throttled
// network keeps the order; the status pill tells the socket's truth; a session that ends keeps
// them and sign-out forgets them. Two people: alice writes, bob checks what arrived.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { bodies, browser, freePort, screenshot, showConversationList, signIn, suite, waitForStatus } from "./harness.mjs";

// A low send limit (3 per 10 s per person and conversation), so a burst meets a 429. The page is
// also allowed from the stack's other name (localhost), to prove a page on another origin can
// read Retry-After (CORS Access-Control-Expose-Headers, as template.yaml's HttpApi declares).
const { stack, contexts } = suite(before, after, async (s) => {
  s.port = await freePort();
  s.env = { RATE_LIMIT_SENDS: "3/10", ALLOWED_ORIGINS: `http://127.0.0.1:${s.port}` };
});

const CHANNELS = ["offline-a", "offline-b", "offline-c", "offline-d", "offline-phone", "offline-e"];
const OUTBOX_KEY = "tenant-chat.outbox.v1.acme.alice";
let alice;
let bob;
let aliceContext;

/** Once, on the first test (a second root `before` would not wait for the stack's). */
let ready = null;
const setUp = () => (ready ??= people());

async function people() {
  // One channel per scenario, so the send limit of one does not slow another.
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  for (const name of CHANNELS) {
    const created = await stack.api(aliceToken, "POST", "/api/v1/chat/channels", { name, visibility: "public" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const invited = await stack.api(aliceToken, "POST", `/api/v1/chat/channels/${created.body.id}/members`, { userId: "bob" });
    assert.ok(invited.status < 300, JSON.stringify(invited.body));
  }
  aliceContext = await browser("alice-offline");
  const bobContext = await browser("bob-offline");
  contexts.push(aliceContext, bobContext);
  alice = await signIn(aliceContext, stack, "alice");
  bob = await signIn(bobContext, stack, "bob");
}

/** Each scenario starts on a working network, whatever the one before left. */
async function online() {
  await aliceContext.setOffline(false);
  await alice.unrouteAll({ behavior: "ignoreErrors" });
}

async function openChannel(page, name) {
  await page.getByTestId(`conv-${name}`).click();
  await page.waitForFunction((title) => document.querySelector('[data-testid="conversation-title"]')?.textContent === title, `#${name}`);
}

async function send(page, text) {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
}

function row(page, text) {
  return page.locator('[data-testid="message"]').filter({ has: page.getByTestId("message-body").getByText(text, { exact: true }) });
}

/** The row is the list's last one and lies inside the scroll region (what a person sees). */
async function assertLastAndVisible(page, text) {
  const rows = page.locator('[data-testid="message"]');
  const last = rows.last();
  assert.equal(await last.getByTestId("message-body").innerText(), text, "the newest send is the bottom row");
  const box = await row(page, text).boundingBox();
  const region = await page.getByTestId("message-scroller").boundingBox();
  assert.ok(box && region, "row and scroll region are laid out");
  assert.ok(box.y >= region.y - 0.5 && box.y + box.height <= region.y + region.height + 0.5, `row ${JSON.stringify(box)} inside ${JSON.stringify(region)}`);
  for (const other of await rows.all()) {
    const b = await other.boundingBox();
    if (b) assert.ok(b.y <= box.y + 0.5, "no row below it");
  }
}

async function state(page, text) {
  return row(page, text).getAttribute("data-state");
}

async function waitSent(page, text, timeout = 20_000) {
  await row(page, text).and(page.locator('[data-state="sent"]')).waitFor({ timeout });
}

/** Bob's list shows exactly these bodies (in this order) among the channel's. */
async function waitForBodies(page, expected, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  let shown = [];
  while (Date.now() < deadline) {
    shown = (await bodies(page)).filter((b) => expected.includes(b));
    if (shown.length >= expected.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Give a duplicate time to show up before judging.
  await new Promise((r) => setTimeout(r, 1_000));
  shown = (await bodies(page)).filter((b) => expected.includes(b));
  assert.deepEqual(shown, expected, "each once, in the order written");
}

test("sends made offline stay pending at the bottom, then go out in order once the network is back; the pill says offline, then connected", async () => {
  await setUp();
  await online();
  await openChannel(alice, "offline-a");
  await openChannel(bob, "offline-a");
  await aliceContext.setOffline(true);
  await waitForStatus(alice, "offline", 20_000);

  const texts = ["Offline one", "Offline two", "Offline three"];
  await send(alice, texts[0]);
  await row(alice, texts[0]).waitFor();
  assert.equal(await state(alice, texts[0]), "pending");
  await assertLastAndVisible(alice, texts[0]);
  assert.match(await row(alice, texts[0]).getByTestId("pending").innerText(), /Sending…/);
  // It does not fail at once (it did: "Failed to fetch").
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(await state(alice, texts[0]), "pending");
  assert.equal(await alice.getByTestId("failed").count(), 0);

  await send(alice, texts[1]);
  await send(alice, texts[2]);
  await assertLastAndVisible(alice, texts[2]);
  for (const t of texts) assert.equal(await state(alice, t), "pending", t);
  const shownOrder = (await bodies(alice)).filter((b) => texts.includes(b));
  assert.deepEqual(shownOrder, texts);
  await screenshot(alice, "offline-pending");
  await screenshot(bob, "offline-bob-before");

  await aliceContext.setOffline(false);
  await waitForStatus(alice, "connected", 20_000);
  for (const t of texts) await waitSent(alice, t);
  assert.deepEqual((await bodies(alice)).filter((b) => texts.includes(b)), texts, "sent in the order written");
  await waitForBodies(bob, texts);
  await screenshot(alice, "offline-sent");
  await screenshot(bob, "offline-bob-after");
});

test("an unsent message survives a reload (the outbox), is sent when the network is back, and arrives once", async () => {
  await setUp();
  await online();
  await openChannel(alice, "offline-b");
  await openChannel(bob, "offline-b");
  // The API's sends fail as they would on a dropped network (the page itself still loads).
  const block = (route) => (route.request().method() === "POST" ? route.abort("internetdisconnected") : route.fallback());
  await alice.route("**/api/v1/chat/conversations/*/messages", block);
  const text = "Written before the reload";
  await send(alice, text);
  await row(alice, text).waitFor();
  assert.equal(await state(alice, text), "pending");

  await alice.reload();
  await alice.getByTestId("chat").waitFor();
  await alice.getByTestId("conversation-title").waitFor();
  if ((await alice.getByTestId("conversation-title").innerText()) !== "#offline-b") await openChannel(alice, "offline-b");
  await row(alice, text).waitFor({ timeout: 10_000 });
  assert.equal(await state(alice, text), "pending", "still pending after the reload");
  await assertLastAndVisible(alice, text);
  await screenshot(alice, "offline-after-reload");
  assert.deepEqual((await bodies(bob)).filter((b) => b === text), [], "not sent yet");

  // The network is back: it goes out by itself (no click), once.
  await alice.unroute("**/api/v1/chat/conversations/*/messages", block);
  await waitSent(alice, text, 30_000);
  await waitForBodies(bob, [text]);
  // Confirmed: it left the outbox, so another reload neither shows it pending nor sends it again.
  await alice.reload();
  await alice.getByTestId("chat").waitFor();
  await waitForStatus(alice, "connected");
  if ((await alice.getByTestId("conversation-title").innerText()) !== "#offline-b") await openChannel(alice, "offline-b");
  await waitSent(alice, text);
  assert.equal((await bodies(alice)).filter((b) => b === text).length, 1);
  assert.equal(await alice.locator('[data-testid="message"][data-state="pending"]').count(), 0);
  await waitForBodies(bob, [text]);
});

test("a rate-limited send counts down from Retry-After and goes out by itself", async () => {
  await setUp();
  await online();
  await openChannel(alice, "offline-c");
  await openChannel(bob, "offline-c");
  // Start at the beginning of a 10 s limit window, so the countdown has seconds to show.
  await new Promise((r) => setTimeout(r, 10_000 - (Date.now() % 10_000) + 200));
  const texts = ["Burst 1", "Burst 2", "Burst 3", "Burst 4"];
  for (const t of texts) await send(alice, t);
  const limited = row(alice, texts[3]);
  const countdown = limited.getByTestId("retry-countdown");
  await countdown.waitFor({ timeout: 10_000 });
  const seconds = async () => {
    const text = await countdown.innerText();
    const m = /Rate limited — retrying in (\d+) s…/.exec(text);
    assert.ok(m, `countdown text: ${text}`);
    return Number(m[1]);
  };
  const first = await seconds();
  await screenshot(alice, "offline-rate-limited");
  await new Promise((r) => setTimeout(r, 1_100));
  const second = await seconds();
  assert.ok(first >= 2 && second < first, `counts down: ${first} then ${second}`);
  assert.equal(await state(alice, texts[3]), "pending");

  // A page on another origin reads Retry-After too (the API exposes it to scripts).
  const crossOrigin = await alice.evaluate(async ({ url, conversation }) => {
    const token = sessionStorage.getItem("tenant-chat.token");
    const r = await fetch(`${url}/api/v1/chat/conversations/${conversation}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ clientMessageId: crypto.randomUUID(), body: "over the limit", mentions: [] }),
    });
    return { status: r.status, retryAfter: r.headers.get("retry-after"), origin: location.origin };
  }, { url: `http://localhost:${stack.port}`, conversation: await alice.evaluate(() => location.hash.split("/").pop()) });
  assert.equal(crossOrigin.status, 429, JSON.stringify(crossOrigin));
  assert.match(crossOrigin.retryAfter ?? "", /^\d+$/, `Retry-After readable across origins: ${JSON.stringify(crossOrigin)}`);

  // No click: it is sent when the window ends.
  await waitSent(alice, texts[3], 20_000);
  assert.equal(await limited.getByTestId("retry-countdown").count(), 0);
  await waitForBodies(bob, texts);
  await screenshot(alice, "offline-rate-limit-sent");
});

test("on a slow network (400 ms latency) sends still arrive in order", async () => {
  await setUp();
  await online();
  await openChannel(alice, "offline-d");
  await openChannel(bob, "offline-d");
  const cdp = await aliceContext.newCDPSession(alice);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 400, downloadThroughput: 64 * 1024, uploadThroughput: 32 * 1024 });
  const texts = ["Slow first", "Slow second", "Slow third"];
  for (const t of texts) await send(alice, t);
  await row(alice, texts[2]).waitFor();
  await screenshot(alice, "offline-throttled-pending");
  for (const t of texts) await waitSent(alice, t, 30_000);
  assert.deepEqual((await bodies(alice)).filter((b) => texts.includes(b)), texts);
  await waitForBodies(bob, texts);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
});

test("on a phone-sized window a pending message shows at the bottom above the composer", async () => {
  await setUp();
  const phone = await browser("alice-phone", { viewport: { width: 390, height: 800 } });
  contexts.push(phone);
  const page = await signIn(phone, stack, "alice");
  await openChannel(bob, "offline-phone");
  // A phone shows the conversation list as its own pane.
  await showConversationList(page);
  await openChannel(page, "offline-phone");
  await phone.setOffline(true);
  const text = "Pending on a phone";
  await send(page, text);
  await row(page, text).waitFor();
  assert.equal(await state(page, text), "pending");
  await assertLastAndVisible(page, text);
  const rowBox = await row(page, text).boundingBox();
  const composerBox = await page.getByTestId("composer").boundingBox();
  assert.ok(rowBox && composerBox && rowBox.y + rowBox.height <= composerBox.y + 0.5, "above the composer");
  assert.ok(composerBox.y + composerBox.height <= 800, "composer on screen");
  await screenshot(page, "offline-phone-pending");
  await phone.setOffline(false);
  await waitSent(page, text);
  await waitForBodies(bob, [text]);
});

test("a session that ends keeps unsent messages (they go out after signing in again); signing out forgets them", async () => {
  await setUp();
  const context = await browser("alice-session");
  contexts.push(context);
  let page = await signIn(context, stack, "alice");
  await openChannel(page, "offline-e");
  await openChannel(bob, "offline-e");
  const dropped = (route) => (route.request().method() === "POST" ? route.abort("internetdisconnected") : route.fallback());
  await page.route("**/api/v1/chat/conversations/*/messages", dropped);
  const kept = "Kept across the session's end";
  await send(page, kept);
  await row(page, kept).waitFor();
  // Then every token is refused: the session ends and the page goes back to sign-in, saying why.
  await page.unroute("**/api/v1/chat/conversations/*/messages", dropped);
  const refused = (route) => route.fulfill({ status: 401, contentType: "application/json", body: JSON.stringify({ error: { code: "unauthenticated", message: "token expired" } }) });
  await page.route("**/api/v1/**", refused);
  await page.getByTestId("signin-alice").waitFor({ timeout: 30_000 });
  await page.getByText("unsent messages and drafts are kept").waitFor();
  const stored = JSON.parse((await page.evaluate((k) => localStorage.getItem(k), OUTBOX_KEY)) ?? "[]");
  assert.deepEqual(stored.map((i) => [i.body, i.state]), [[kept, "pending"]], "still in the outbox");
  await screenshot(page, "offline-session-ended");

  await page.unroute("**/api/v1/**", refused);
  await page.getByTestId("signin-alice").click();
  await page.getByTestId("chat").waitFor();
  await waitForBodies(bob, [kept]);
  if ((await page.getByTestId("conversation-title").innerText()) !== "#offline-e") await openChannel(page, "offline-e");
  await waitSent(page, kept);
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), OUTBOX_KEY), null, "sent: the outbox is empty");

  // Sign-out forgets what is unsent.
  await context.setOffline(true);
  const forgotten = "Forgotten at sign-out";
  await send(page, forgotten);
  await row(page, forgotten).waitFor();
  assert.notEqual(await page.evaluate((k) => localStorage.getItem(k), OUTBOX_KEY), null);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByTestId("signin-alice").waitFor();
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), OUTBOX_KEY), null, "signing out empties the outbox");
  await context.setOffline(false);
  page = await signIn(context, stack, "alice");
  if ((await page.getByTestId("conversation-title").innerText()) !== "#offline-e") await openChannel(page, "offline-e");
  await waitSent(page, kept);
  assert.equal(await row(page, forgotten).count(), 0);
  await waitForBodies(bob, [kept]);
});
