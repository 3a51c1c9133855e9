// The message list people work in (issue 21, point 4), as they meet it: date separators in the
// browser's time zone over messages of several days (seeded by restarting the local stack with
// its clock days behind), keyboard editing (Up, Enter, Shift+Enter, Escape), delete asking
// first, a channel admin deleting someone else's message, another member reading the edit
// history, and the jump bar taking a reader back to the first unread of 200 messages.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, screenshot, seedMessages, showConversationList, signIn, suite } from "./harness.mjs";

const DAY_S = 24 * 3600;
// Far east (UTC+14): its calendar day differs from UTC's for half of every day.
const ZONE = "Pacific/Kiritimati";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off", LOCAL_CLOCK_OFFSET_SECS: String(-3 * DAY_S) };
});

async function person(userId, options = {}) {
  const context = await browser(`${userId}-message-list-${contexts.length}`, { timezoneId: ZONE, ...options });
  contexts.push(context);
  return signIn(context, stack, userId);
}

const focusOn = (page, testId) => page.waitForFunction((id) => document.activeElement?.getAttribute("data-testid") === id, testId);
const row = (page, text) => page.locator('[data-testid="message"]').filter({ hasText: text });

/** How the list should name the day of `iso` in ZONE, computed here independently. */
function expectedLabel(iso) {
  const day = (d) => new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  const at = day(new Date(iso));
  if (at === day(new Date())) return "Today";
  if (at === day(new Date(Date.now() - DAY_S * 1000))) return "Yesterday";
  const sameYear = at.slice(0, 4) === day(new Date()).slice(0, 4);
  return new Intl.DateTimeFormat("en-US", { timeZone: ZONE, weekday: "long", month: "long", day: "numeric", ...(sameYear ? {} : { year: "numeric" }) }).format(new Date(iso));
}

let tokens;
/** The first message of each day seeded into #random, oldest first. */
const firstOfDay = [];

/** Seeds once, on the first test's call (the suite's own hook starts the stack first). */
let seeding = null;
const seeded = () => (seeding ??= seed());

async function seed() {
  tokens = {
    alice: await stack.token("acme", "alice", "Alice Anderson"),
    bob: await stack.token("acme", "bob", "Bob Brown"),
    carol: await stack.token("acme", "carol", "Carol Chen"),
  };
  const random = await conversationId(stack, tokens.alice, "random");
  // Three days ago, two days ago, yesterday and today (the stack's clock), a few messages each.
  for (const [offset, who, texts] of [
    [3, "bob", ["Three days back: kickoff notes", "Three days back: agenda"]],
    [2, "alice", ["Two days back: design review"]],
    [1, "bob", ["Yesterday: shipped the beta", "Yesterday: retro at four"]],
    [0, "alice", ["Today: standup moved", "Today: lunch at noon"]],
  ]) {
    if (offset !== 3) {
      await stack.stop();
      stack.env = { ...stack.env, LOCAL_CLOCK_OFFSET_SECS: String(-offset * DAY_S) };
      await stack.start();
    }
    const sent = await seedMessages(stack, tokens[who], random, texts);
    firstOfDay.push(sent[0]);
  }
  // Bob's own last message, today, for the keyboard tests.
  await seedMessages(stack, tokens.bob, random, ["Bob's latest note"]);
}

test("date separators sit directly above the first message of each day, named in the browser's time zone", async () => {
  await seeded();
  const bob = await person("bob");
  await bob.getByTestId("conv-random").click();
  await row(bob, "Bob's latest note").waitFor();
  // Every seeded day in ZONE (two messages of one UTC day may fall on two days there, or the reverse).
  const days = new Map();
  const { body } = await stack.api(tokens.bob, "GET", `/api/v1/chat/conversations/${await conversationId(stack, tokens.bob, "random")}/messages?limit=100`);
  for (const m of body.items) {
    const label = expectedLabel(m.createdAt);
    if (!days.has(label)) days.set(label, m);
  }
  assert.ok(days.size >= 4, `several days: ${[...days.keys()]}`);
  const shown = await bob.getByTestId("day-separator").allInnerTexts();
  assert.deepEqual(shown, [...days.keys()], "one separator per day, oldest first, named in the browser's zone");
  for (const [label, first] of days) {
    const separator = bob.getByRole("separator", { name: label, exact: true });
    await separator.scrollIntoViewIfNeeded();
    const message = bob.locator(`[data-testid="message"][data-message-id="${first.id}"]`);
    // As laid out once the list has measured the rows it just rendered (a row is placed by the
    // measured sizes above it; on a loaded machine that lags a frame or two).
    const directlyAbove = (s, m) => s && m && m.y >= s.y + s.height - 1 && m.y - (s.y + s.height) < 16;
    let [s, m] = [null, null];
    for (const deadline = Date.now() + 3_000; Date.now() < deadline; await bob.waitForTimeout(100)) {
      [s, m] = [await separator.boundingBox(), await message.boundingBox()];
      if (directlyAbove(s, m)) break;
    }
    assert.ok(s && m, `${label}: both on screen`);
    assert.ok(directlyAbove(s, m), `${label}: directly above "${first.body}" (${JSON.stringify({ s, m })})`);
    // Nothing between them: the first message after the separator in the page is that message.
    const next = await separator.evaluate((el) =>
      [...document.querySelectorAll('[data-testid="message"]')]
        .find((m) => el.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING)
        ?.getAttribute("data-message-id"),
    );
    assert.equal(next, first.id, `${label}: the next message is its first message`);
  }
  assert.equal(shown.at(-1), "Today");
  await bob.getByTestId("message-scroller").evaluate((el) => el.scrollTo(0, 0));
  await screenshot(bob, "message-list-separators");
  const phone = await person("bob", { viewport: { width: 390, height: 760 } });
  await showConversationList(phone);
  await phone.getByTestId("conv-random").click();
  await row(phone, "Bob's latest note").waitFor();
  await phone.getByRole("separator", { name: "Yesterday" }).scrollIntoViewIfNeeded();
  assert.ok((await onScreen(phone.getByRole("separator", { name: "Yesterday" }))).inside);
  await screenshot(phone, "message-list-separators-phone");
});

test("keyboard alone: Up edits my last message, Enter saves, Shift+Enter is a new line, Escape cancels; Delete asks first", async () => {
  await seeded();
  const bob = await person("bob");
  await bob.getByTestId("conv-random").click();
  const mine = row(bob, "Bob's latest note");
  await mine.waitFor();
  await bob.getByTestId("composer").focus();
  await bob.keyboard.press("ArrowUp");
  await focusOn(bob, "edit-input");
  const box = mine.getByTestId("edit-input");
  assert.equal(await box.inputValue(), "Bob's latest note", "my last message, not someone else's");
  assert.ok((await onScreen(box)).inside, "the edit box is in view");
  await bob.keyboard.press("Shift+Enter");
  await bob.keyboard.type("second line");
  assert.equal(await box.inputValue(), "Bob's latest note\nsecond line", "Shift+Enter inserts a newline");
  await screenshot(bob, "message-list-editing");
  await bob.keyboard.press("Enter");
  await mine.getByTestId("edited").waitFor();
  assert.equal(await mine.getByTestId("message-body").innerText(), "Bob's latest note\nsecond line", "the new text shows");
  assert.equal(await box.count(), 0);
  await focusOn(bob, "composer");
  // Up again, type, Escape: nothing changes and the keyboard is back in the composer.
  await bob.keyboard.press("ArrowUp");
  await focusOn(bob, "edit-input");
  await bob.keyboard.type(" and a mistake");
  await bob.keyboard.press("Escape");
  assert.equal(await box.count(), 0);
  assert.equal(await mine.getByTestId("message-body").innerText(), "Bob's latest note\nsecond line", "Escape saved nothing");
  await focusOn(bob, "composer");
  // Up with text in the composer moves the caret, it does not edit.
  await bob.keyboard.type("a draft");
  await bob.keyboard.press("ArrowUp");
  assert.equal(await box.count(), 0, "a composer with text keeps Up");
  await bob.getByTestId("composer").fill("");

  // Delete, by keyboard: the actions show when focused; it asks; Escape keeps the message.
  await mine.getByTestId("edit").focus();
  await bob.keyboard.press("Tab");
  await focusOn(bob, "delete");
  assert.equal(await mine.getByTestId("delete").evaluate((b) => getComputedStyle(b.parentElement).opacity), "1", "focused actions show without hovering");
  await bob.keyboard.press("Enter");
  const dialog = bob.getByRole("dialog", { name: "Delete this message?" });
  await dialog.waitFor();
  await focusOn(bob, "confirm-ok");
  await bob.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await mine.getByTestId("message-body").innerText(), "Bob's latest note\nsecond line", "Escape kept the message");
  // Its id before it goes: once deleted, its text (what `mine` finds it by) is gone.
  const mineId = await mine.getAttribute("data-message-id");
  await focusOn(bob, "delete");
  await bob.keyboard.press("Enter");
  await dialog.waitFor();
  await bob.keyboard.press("Enter");
  const deleted = bob.locator(`[data-testid="message"][data-message-id="${mineId}"]`);
  await deleted.getByText("This message was deleted.").waitFor();
  await focusOn(bob, "composer");
  // My last message is now a deleted one: Up edits the one before it that is mine.
  const { body } = await stack.api(tokens.bob, "GET", `/api/v1/chat/conversations/${await conversationId(stack, tokens.bob, "random")}/messages?limit=100`);
  const previous = body.items.filter((m) => m.authorId === "bob" && !m.deletedAt).at(-1);
  await bob.keyboard.press("ArrowUp");
  await focusOn(bob, "edit-input");
  assert.equal(await bob.getByTestId("edit-input").inputValue(), previous.body);
  await bob.keyboard.press("Escape");
  await focusOn(bob, "composer");
});

test("a channel admin sees Delete (not Edit) on another person's message and deletes it; a member does not", async () => {
  await seeded();
  const design = await stack.api(tokens.carol, "POST", "/api/v1/chat/channels", { name: "design", visibility: "public" });
  assert.equal(design.status, 201, JSON.stringify(design.body));
  await stack.api(tokens.carol, "POST", `/api/v1/chat/channels/${design.body.id}/members`, { userId: "bob" });
  await stack.api(tokens.carol, "POST", `/api/v1/chat/channels/${design.body.id}/members`, { userId: "alice" });
  const [bobs] = await seedMessages(stack, tokens.bob, design.body.id, ["Bob's off-topic post"]);
  await seedMessages(stack, tokens.carol, design.body.id, ["Carol's welcome"]);
  // carol has no tenant role: only her channel role lets her.
  const carol = await person("carol");
  await carol.getByTestId("conv-design").click();
  const post = row(carol, "Bob's off-topic post");
  await post.waitFor();
  await post.hover();
  assert.equal(await post.getByTestId("edit").count(), 0, "never Edit on someone else's message");
  assert.ok(await post.getByRole("button", { name: "Delete Bob Brown's message" }).isVisible());
  await screenshot(carol, "message-list-admin-delete");
  await post.getByTestId("delete").click();
  await carol.getByRole("dialog", { name: "Delete this message?" }).waitFor();
  await carol.getByTestId("confirm-ok").click();
  await carol.locator(`[data-message-id="${bobs.id}"]`).getByText("This message was deleted.").waitFor();
  // bob, a plain member, has no Delete on carol's message.
  const bob = await person("bob");
  await bob.getByTestId("conv-design").click();
  const welcome = row(bob, "Carol's welcome");
  await welcome.waitFor();
  await welcome.hover();
  assert.equal(await welcome.getByTestId("delete").count(), 0);
});

test("another member opens an edited message's history and reads the earlier text, newest first", async () => {
  await seeded();
  const general = await conversationId(stack, tokens.alice, "general");
  const [lunch] = await seedMessages(stack, tokens.alice, general, ["Lunch at 12 in the big room"]);
  for (const body of ["Lunch at 1 in the big room", "Lunch at 1 in the small room"]) {
    const r = await stack.api(tokens.alice, "PATCH", `/api/v1/chat/conversations/${general}/messages/${lunch.id}`, { body });
    assert.equal(r.status, 200);
  }
  const carol = await person("carol");
  await carol.getByTestId("conv-general").click();
  const message = carol.locator(`[data-testid="message"][data-message-id="${lunch.id}"]`);
  await message.getByText("Lunch at 1 in the small room").waitFor();
  await message.getByTestId("edited").focus();
  await carol.keyboard.press("Enter");
  const history = carol.getByRole("dialog", { name: "Edit history" });
  await history.waitFor();
  await history.getByText("Lunch at 12 in the big room").waitFor();
  const versions = await history.getByTestId("version").getByTestId("message-body").allInnerTexts();
  assert.deepEqual(versions, ["Lunch at 1 in the small room", "Lunch at 1 in the big room", "Lunch at 12 in the big room"]);
  assert.match(await history.getByTestId("version").last().innerText(), /Original · sent/);
  assert.ok((await onScreen(history)).inside);
  await screenshot(carol, "message-list-edit-history");
  await carol.keyboard.press("Escape");
  await history.waitFor({ state: "detached" });
  await focusOn(carol, "edited");
});

test("200 messages, the first unread far above: the jump bar brings the divider into view; Mark as read clears it", async () => {
  await seeded();
  const busy = await stack.api(tokens.alice, "POST", "/api/v1/chat/channels", { name: "busy", visibility: "public" });
  await stack.api(tokens.alice, "POST", `/api/v1/chat/channels/${busy.body.id}/members`, { userId: "bob" });
  await seedMessages(stack, tokens.alice, busy.body.id, Array.from({ length: 20 }, (_, i) => `read before ${i + 1}`), { concurrency: 1 });
  const bob = await person("bob");
  await bob.getByTestId("conv-busy").click();
  await row(bob, "read before 20").waitFor();
  await bob.getByTestId("conv-general").click();
  await bob.getByTestId("conversation-title").filter({ hasText: "general" }).waitFor();
  const unread = await seedMessages(stack, tokens.alice, busy.body.id, Array.from({ length: 180 }, (_, i) => `busy ${i + 1}`), { concurrency: 1 });
  await bob.getByTestId("conv-busy").click();
  const divider = bob.getByTestId("new-messages-divider");
  await divider.waitFor();
  const bar = bob.getByTestId("jump-bar");
  // Scrolled down to the newest: the divider is far above, and the bar says so.
  const scroller = bob.getByTestId("message-scroller");
  // A page at a time, as the rows below render and the list grows.
  const scrollToNewest = async () => {
    for (let i = 0; i < 40 && (await row(bob, "busy 180").count()) === 0; i++) {
      await scroller.evaluate((el) => el.scrollBy(0, el.clientHeight * 3));
      await bob.waitForTimeout(50);
    }
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await row(bob, "busy 180").waitFor();
  };
  await scrollToNewest();
  await bar.waitFor();
  const since = new Date(unread[0].createdAt).toLocaleTimeString("en-US", { timeZone: ZONE, hour: "2-digit", minute: "2-digit" });
  assert.equal((await bar.locator("span").first().innerText()).trim(), `180 new messages since ${since}`);
  assert.equal(await divider.count(), 0, "the divider is far above, not rendered");
  await screenshot(bob, "message-list-jump-bar");
  await bar.getByRole("button", { name: "Jump" }).click();
  await divider.waitFor();
  await bob.waitForFunction(() => {
    const d = document.querySelector('[data-testid="new-messages-divider"]');
    const s = document.querySelector('[data-testid="message-scroller"]');
    if (!d || !s) return false;
    const [a, b] = [d.getBoundingClientRect(), s.getBoundingClientRect()];
    return a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  });
  const first = bob.locator(`[data-testid="message"][data-message-id="${unread[0].id}"]`);
  assert.ok((await onScreen(first)).inside, "the first unread message is in view under the divider");
  await bar.waitFor({ state: "detached" });
  await screenshot(bob, "message-list-jumped");
  // Away again, down to the newest: the bar comes back; Mark as read clears it and the divider.
  await scrollToNewest();
  await bar.waitFor();
  await bar.getByRole("button", { name: "Mark as read" }).click();
  await bar.waitFor({ state: "detached" });
  await scroller.evaluate((el) => el.scrollTo(0, 0));
  for (let i = 0; i < 20 && (await first.count()) === 0; i++) {
    await scroller.evaluate((el) => el.scrollBy(0, -el.clientHeight * 3));
    await bob.waitForTimeout(50);
  }
  assert.equal(await divider.count(), 0, "the divider is gone");
});
