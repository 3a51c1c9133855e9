// Accessibility (issue 22.7): axe-core finds no serious or critical WCAG A/AA violation on any
// screen, in light and in dark (prefers-color-scheme), with a realistic #general behind them
// (hundreds of messages, mentions, reactions, a thread, edited messages); and the keyboard
// alone goes from the page start to the composer, sends, moves to a message, reacts, opens its
// thread and closes it again.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { expectAccessible } from "./axe.mjs";
import { browser, conversationId, screenshot, seedMessages, showConversationList, signIn, suite } from "./harness.mjs";

const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

const ROOT_TEXT = "Who is taking notes at the planning meeting?";
const EDITED_TEXT = "The release is on Thursday (edited: moved from Wednesday)";
const MINE_TEXT = "Shipping the dark theme today";

/** #general as a team leaves it after a few weeks: 300 messages from three people, mentions,
 * a thread with replies, reactions, an edited message and code. */
async function seedGeneral() {
  const token = { alice: await stack.token("acme", "alice", "Alice Anderson"), bob: await stack.token("acme", "bob", "Bob Brown"), carol: await stack.token("acme", "carol", "Carol Chen") };
  const general = await conversationId(stack, token.alice, "general");
  const join = async (who) => stack.api(token[who], "POST", `/api/v1/chat/channels/${general}/join`);
  await join("bob");
  await join("carol");
  const texts = (n, who) => Array.from({ length: n }, (_, i) => `${who} update ${i + 1}: ${i % 7 === 0 ? "`cargo test` passes, see **the notes**" : "looks good to me"}`);
  await seedMessages(stack, token.bob, general, texts(150, "bob"), { concurrency: 4 });
  await seedMessages(stack, token.carol, general, texts(150, "carol"), { concurrency: 4 });
  const send = async (who, body, extra = {}) => {
    const r = await stack.api(token[who], "POST", `/api/v1/chat/conversations/${general}/messages`, { clientMessageId: crypto.randomUUID(), body, mentions: [], ...extra });
    assert.ok(r.status === 200 || r.status === 201, `send: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const root = await send("bob", ROOT_TEXT);
  await send("carol", "I can do it", { threadRootId: root.id });
  await send("alice", "Thanks @carol!", { threadRootId: root.id, mentions: ["carol"] });
  await send("bob", "Great, I will share the agenda", { threadRootId: root.id, alsoInChannel: true });
  const mention = await send("carol", "@alice can you review the contrast fixes?", { mentions: ["alice"] });
  for (const [who, emoji] of [["bob", "👍"], ["carol", "👍"], ["alice", "🎉"]]) {
    await stack.api(token[who], "PUT", `/api/v1/chat/conversations/${general}/messages/${mention.id}/reactions/${encodeURIComponent(emoji)}`);
  }
  const edited = await send("alice", "The release is on Wednesday");
  const r = await stack.api(token.alice, "PATCH", `/api/v1/chat/conversations/${general}/messages/${edited.id}`, { body: EDITED_TEXT, mentions: [] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await send("bob", "> quoted\n\n```\nfn main() {}\n```\nand a [link](https://example.com)");
  await send("alice", MINE_TEXT);
}

async function person(userId, name, options) {
  const context = await browser(`${userId}-a11y-${name}`, options);
  contexts.push(context);
  return signIn(context, stack, userId);
}

async function openGeneral(page) {
  await page.getByTestId("conv-general").click();
  await page.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  await page.getByTestId("message").filter({ hasText: MINE_TEXT }).waitFor();
}

const message = (page, text) => page.getByTestId("messages").getByTestId("message").filter({ hasText: text });
const focused = (page) => page.evaluate(() => ({ testId: document.activeElement?.getAttribute("data-testid"), label: document.activeElement?.getAttribute("aria-label"), text: document.activeElement?.textContent?.slice(0, 80) }));

/** Checks every screen with axe, collecting what fails so one run lists all of it. */
function checker(scheme) {
  const failures = [];
  return {
    async check(page, screen, options) {
      try {
        await expectAccessible(page, `${screen} (${scheme})`, options);
      } catch (e) {
        failures.push(e.message);
      }
    },
    /** A step that could not run: reported with whatever axe found before it. */
    fail(e) {
      failures.push(`walk stopped: ${e.stack ?? e}`);
    },
    done() {
      assert.deepEqual(failures, [], failures.join("\n\n"));
    },
  };
}

async function closeModal(page, testId) {
  await page.keyboard.press("Escape");
  await page.getByTestId(testId).waitFor({ state: "detached" });
}

/** Every desktop screen that exists today, in one colour scheme. */
async function walkDesktop(page, scheme) {
  const { check, done, fail } = checker(scheme);
  try {
    await walkScreens(page, scheme, check);
  } catch (e) {
    fail(e);
  }
  done();
}

async function walkScreens(page, scheme, check) {
  await page.emulateMedia({ colorScheme: scheme });
  await openGeneral(page);
  await check(page, "chat page");
  if (scheme === "dark") await screenshot(page, "a11y-dark-chat");

  await page.getByTestId("browse-channels").click();
  await page.getByTestId("new-channel-name").waitFor();
  await check(page, "channel browser");
  if (scheme === "dark") await screenshot(page, "a11y-dark-channel-browser");
  await page.keyboard.press("Escape");
  await page.getByTestId("new-channel-name").waitFor({ state: "detached" });

  await page.getByTestId("search-input").fill("notes");
  await page.getByTestId("search-input").press("Enter");
  await page.getByTestId("search-result").first().waitFor();
  await check(page, "search with results");
  if (scheme === "dark") await screenshot(page, "a11y-dark-search");
  await page.keyboard.press("Escape");
  await page.getByTestId("search-panel").waitFor({ state: "detached" });

  await message(page, ROOT_TEXT).first().scrollIntoViewIfNeeded();
  await message(page, ROOT_TEXT).getByTestId("thread-summary").click();
  await page.getByTestId("thread-panel").getByTestId("message").filter({ hasText: "I can do it" }).waitFor();
  await check(page, "thread panel");
  if (scheme === "dark") await screenshot(page, "a11y-dark-thread");
  await page.getByTestId("thread-close").click();
  await page.getByTestId("thread-panel").waitFor({ state: "detached" });

  await page.getByTestId("threads-entry").click();
  await page.getByTestId("conversation-title").filter({ hasText: "Threads" }).waitFor();
  await page.getByText(ROOT_TEXT).first().waitFor();
  await check(page, "Threads view");
  await openGeneral(page);

  await page.getByTestId("dm-search").fill("ca");
  await page.getByTestId("pick-carol").waitFor();
  await check(page, "new DM picker open");
  await page.getByTestId("dm-search").press("Escape");
  await page.getByTestId("pick-carol").waitFor({ state: "detached" });

  await page.getByTestId("members-button").click();
  await page.getByTestId("member").first().waitFor();
  await check(page, "members panel");
  await page.getByTestId("invite-search").fill("ca");
  await page.getByTestId("pick-carol").waitFor();
  await check(page, "members panel with the invite picker open");
  await page.getByTestId("invite-search").press("Escape");
  await page.getByTestId("pick-carol").waitFor({ state: "detached" });
  await page.keyboard.press("Escape");
  await page.getByTestId("members-panel").waitFor({ state: "detached" });

  const edited = message(page, EDITED_TEXT);
  await edited.scrollIntoViewIfNeeded();
  await edited.getByTestId("edited").click();
  await page.getByTestId("edit-history").waitFor();
  await page.getByTestId("edit-history").getByText("Wednesday").first().waitFor();
  await check(page, "edit-history dialog");
  if (scheme === "dark") await screenshot(page, "a11y-dark-edit-history");
  await closeModal(page, "edit-history");

  const mine = message(page, MINE_TEXT);
  await mine.hover();
  await mine.getByTestId("delete").click();
  await page.getByTestId("confirm-dialog").waitFor();
  await check(page, "delete confirmation");
  // Focus is trapped: Tab and Shift+Tab go round the dialog's two buttons.
  for (const key of ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
    await page.keyboard.press(key);
    assert.ok(await page.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="confirm-dialog"]'))), `focus left the dialog after ${key}`);
  }
  if (scheme === "dark") await screenshot(page, "a11y-dark-confirm");
  await closeModal(page, "confirm-dialog");

  await mine.hover();
  await mine.getByTestId("add-reaction").first().click();
  await page.getByTestId("emoji-picker").getByRole("option").first().waitFor();
  await check(page, "emoji picker");
  if (scheme === "dark") await screenshot(page, "a11y-dark-emoji-picker");
  await page.keyboard.press("Escape");
  await page.getByTestId("emoji-picker").waitFor({ state: "detached" });

  await page.getByTestId("open-retention").click();
  await page.getByTestId("retention-panel").waitFor();
  await page.getByTestId("retention-days").waitFor();
  await check(page, "retention panel (admin)");
  if (scheme === "dark") await screenshot(page, "a11y-dark-retention");
  await closeModal(page, "retention-panel");

}

test("seed #general with a few weeks of conversation", { timeout: 240_000 }, async () => {
  await seedGeneral();
});

for (const scheme of ["light", "dark"]) {
  test(`the sign-in page has no serious or critical axe violation (${scheme})`, async () => {
    const context = await browser(`signin-${scheme}`);
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(stack.url);
    await page.getByTestId("signin-alice").waitFor();
    const { check, done } = checker(scheme);
    await check(page, "sign-in page");
    if (scheme === "dark") await screenshot(page, "a11y-dark-signin");
    done();
  });

  test(`every desktop screen has no serious or critical axe violation (${scheme})`, { timeout: 240_000 }, async () => {
    const alice = await person("alice", `desktop-${scheme}`);
    await walkDesktop(alice, scheme);
  });

  test(`the operations panel (super-admin) has no serious or critical axe violation (${scheme})`, async () => {
    const root = await person("root", `ops-${scheme}`);
    await root.emulateMedia({ colorScheme: scheme });
    const { check, done } = checker(scheme);
    await root.getByTestId("open-operations").click();
    await root.getByTestId("ops-metrics").waitFor();
    await check(root, "operations panel");
    if (scheme === "dark") await screenshot(root, "a11y-dark-operations");
    await closeModal(root, "operations-panel");
    done();
  });

  test(`the phone's panes and a narrow window's drawer have no serious or critical axe violation (${scheme})`, async () => {
    const bob = await person("bob", `phone-${scheme}`, { viewport: { width: 390, height: 844 } });
    await bob.emulateMedia({ colorScheme: scheme });
    const { check, done } = checker(scheme);
    // Under 600 px one pane at a time: the conversation list, then the conversation.
    await showConversationList(bob);
    await check(bob, "phone: conversation list");
    await bob.getByTestId("conv-general").click();
    await bob.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
    await message(bob, MINE_TEXT).waitFor();
    await check(bob, "phone: chat");
    if (scheme === "dark") await screenshot(bob, "a11y-dark-phone-chat");
    // From 600 to 900 px the list is a drawer.
    await bob.setViewportSize({ width: 760, height: 844 });
    await bob.getByTestId("nav-toggle").click();
    await bob.getByTestId("conv-general").waitFor({ state: "visible" });
    // The drawer has slid in (its transition done) when its first link is inside the window.
    await bob.waitForFunction(() => (document.querySelector('[data-testid="conv-general"]')?.getBoundingClientRect().left ?? -1) >= 0);
    await check(bob, "narrow window: drawer open");
    if (scheme === "dark") await screenshot(bob, "a11y-dark-phone-drawer");
    done();
  });
}

/** What has the keyboard: its test id, and the message it is (or is in). */
const focusedInfo = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    const row = el?.closest("[data-message-id]");
    const style = el ? getComputedStyle(el) : null;
    return {
      testId: el?.getAttribute("data-testid") ?? null,
      messageId: row?.getAttribute("data-message-id") ?? null,
      text: row?.querySelector('[data-testid="message-body"]')?.textContent ?? null,
      inThread: Boolean(el?.closest('[data-testid="thread-panel"]')),
      ring: style ? style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 : false,
    };
  });

/** Waits until the focused element is the one described (focus moves after a render). */
async function focusIs(page, expected, what) {
  await page
    .waitForFunction(
      (exp) => {
        const el = document.activeElement;
        const row = el?.closest("[data-message-id]");
        if (exp.testId && el?.getAttribute("data-testid") !== exp.testId) return false;
        if (exp.text && !row?.querySelector('[data-testid="message-body"]')?.textContent?.includes(exp.text)) return false;
        if (exp.inThread !== undefined && Boolean(el?.closest('[data-testid="thread-panel"]')) !== exp.inThread) return false;
        return true;
      },
      expected,
      { timeout: 20_000 },
    )
    .catch(() => {});
  const info = await focusedInfo(page);
  if (expected.testId) assert.equal(info.testId, expected.testId, `${what}: focus on ${JSON.stringify(info)}`);
  if (expected.text) assert.ok(info.text?.includes(expected.text), `${what}: focus on ${JSON.stringify(info)}`);
  if (expected.inThread !== undefined) assert.equal(info.inThread, expected.inThread, `${what}: focus on ${JSON.stringify(info)}`);
  return info;
}

/** The focused element lies inside the window (a person can see where the keyboard is). */
async function focusOnScreen(page, what) {
  const box = await page.evaluate(() => {
    const r = document.activeElement?.getBoundingClientRect();
    return r ? { top: r.top, bottom: r.bottom, left: r.left, right: r.right, h: innerHeight, w: innerWidth } : null;
  });
  assert.ok(box && box.top >= 0 && box.bottom <= box.h + 0.5 && box.left >= 0 && box.right <= box.w + 0.5, `${what}: focused element off screen ${JSON.stringify(box)}`);
}

test("keyboard only: Tab to the composer, mention by combobox, send, move to a message, react, open its thread, Escape back", { timeout: 120_000 }, async () => {
  const carol = await person("carol", "keyboard");
  await openGeneral(carol);
  // A fresh start: the page as it loads (signed in, #general open from its address).
  await carol.reload();
  await carol.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  await message(carol, MINE_TEXT).waitFor();

  await carol.keyboard.press("Tab");
  await focusIs(carol, { testId: "skip-to-composer" }, "first Tab");
  await focusOnScreen(carol, "skip link");
  await carol.keyboard.press("Enter");
  const composerInfo = await focusIs(carol, { testId: "composer" }, "skip link → composer");
  assert.ok(composerInfo.ring, "the composer shows a focus ring");

  // The mention autocomplete is a combobox: the textarea keeps focus, the option is active.
  const composer = carol.getByTestId("composer");
  await carol.keyboard.type("Notes are up, thanks @al");
  await carol.getByTestId("autocomplete").waitFor();
  assert.equal(await composer.getAttribute("aria-expanded"), "true");
  const listId = await composer.getAttribute("aria-controls");
  assert.equal(await carol.getByTestId("autocomplete").getAttribute("id"), listId, "aria-controls names the listbox");
  const active = await composer.getAttribute("aria-activedescendant");
  assert.equal(await carol.locator(`[id="${active}"]`).getAttribute("aria-selected"), "true", "the active option is selected");
  assert.match(await carol.locator(`[id="${active}"]`).innerText(), /Alice/);
  await carol.keyboard.press("Escape");
  await carol.getByTestId("autocomplete").waitFor({ state: "detached" });
  assert.equal(await composer.getAttribute("aria-expanded"), "false");
  assert.equal(await composer.inputValue(), "Notes are up, thanks @al", "Escape keeps the text");
  await carol.keyboard.type("i");
  await carol.getByTestId("autocomplete").waitFor();
  await carol.keyboard.press("Tab");
  await carol.getByTestId("autocomplete").waitFor({ state: "detached" });
  assert.equal(await composer.inputValue(), "Notes are up, thanks @alice ");
  await focusIs(carol, { testId: "composer" }, "after picking a mention");
  await carol.keyboard.type("!");
  await carol.keyboard.press("Enter");
  const sent = message(carol, "Notes are up, thanks").and(carol.locator('[data-state="sent"]'));
  await sent.waitFor();
  await focusIs(carol, { testId: "composer" }, "after sending");

  // Shift+Tab: to the newest message; Up walks the list a message at a time.
  await carol.keyboard.press("Shift+Tab");
  const newest = await focusIs(carol, { testId: "message", text: "Notes are up, thanks" }, "Shift+Tab from the composer");
  assert.ok(newest.ring, "the focused message shows a focus ring");
  await focusOnScreen(carol, "newest message");
  for (const text of [MINE_TEXT, "fn main", EDITED_TEXT, "can you review the contrast fixes", "Great, I will share the agenda", ROOT_TEXT]) {
    await carol.keyboard.press("ArrowUp");
    await focusIs(carol, { testId: "message", text }, `ArrowUp to "${text}"`);
    await focusOnScreen(carol, `message "${text}"`);
  }
  await carol.keyboard.press("ArrowDown");
  await focusIs(carol, { testId: "message", text: "Great, I will share the agenda" }, "ArrowDown");
  await carol.keyboard.press("ArrowUp");
  await focusIs(carol, { testId: "message", text: ROOT_TEXT }, "ArrowUp back to the root");
  await screenshot(carol, "a11y-keyboard-message-focused");

  // R reacts: the picker takes the keyboard, Enter picks, focus comes back to React.
  const root = message(carol, ROOT_TEXT);
  await carol.keyboard.press("r");
  await carol.getByTestId("emoji-picker").getByRole("option").first().waitFor();
  assert.equal(await carol.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Search emoji by name");
  // Tab stays inside the picker (it is a dialog).
  for (let i = 0; i < 8; i++) await carol.keyboard.press("Tab");
  assert.ok(await carol.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="emoji-picker"]'))), "Tab stays in the emoji picker");
  await carol.getByRole("combobox", { name: "Search emoji by name" }).focus();
  await carol.keyboard.type("tada");
  await carol.getByTestId("emoji-picker").getByRole("option", { name: /party popper/i }).first().waitFor();
  await carol.keyboard.press("Enter");
  await carol.getByTestId("emoji-picker").waitFor({ state: "detached" });
  await root.locator('[data-testid="reaction"][data-emoji="🎉"]').waitFor();
  await focusIs(carol, { testId: "add-reaction", text: ROOT_TEXT }, "after reacting");

  // Tab to Reply in thread; Enter opens the panel with its composer focused.
  await carol.keyboard.press("Tab");
  await focusIs(carol, { testId: "reply-in-thread", text: ROOT_TEXT }, "Tab along the action bar");
  await focusOnScreen(carol, "Reply in thread");
  await carol.keyboard.press("Enter");
  await carol.getByTestId("thread-panel").getByText("I can do it").waitFor();
  await focusIs(carol, { testId: "composer", inThread: true }, "thread opened");
  await carol.keyboard.press("Escape");
  await carol.getByTestId("thread-panel").waitFor({ state: "detached" });
  await focusIs(carol, { testId: "reply-in-thread", text: ROOT_TEXT }, "Escape closed the thread");
  await screenshot(carol, "a11y-keyboard-walk");

  // From the message itself, T opens its thread too, and Escape gives the message back.
  await carol.keyboard.press("Shift+Tab");
  await carol.keyboard.press("Shift+Tab");
  await focusIs(carol, { testId: "message", text: ROOT_TEXT }, "back on the message");
  await carol.keyboard.press("t");
  await focusIs(carol, { testId: "composer", inThread: true }, "T opened the thread");
  await carol.keyboard.press("Escape");
  await carol.getByTestId("thread-panel").waitFor({ state: "detached" });
});

test("the message list is a named log; a live message is announced once, older pages are not", { timeout: 60_000 }, async () => {
  const alice = await person("alice", "live");
  await openGeneral(alice);
  const log = alice.getByRole("log", { name: "Messages in #general" });
  assert.equal(await log.count(), 1, "one log named for the conversation");
  assert.equal(await log.getAttribute("aria-live"), "off", "the log itself does not re-read its rows");
  const announcer = alice.getByTestId("live-announcer");
  assert.equal(await announcer.getAttribute("aria-live"), "polite");
  assert.equal((await announcer.innerText()).trim(), "", "nothing announced on opening");

  const bobToken = await stack.token("acme", "bob", "Bob Brown");
  const general = await conversationId(stack, bobToken, "general");
  await seedMessages(stack, bobToken, general, ["Standup moved to 10:30"]);
  await announcer.getByText("New message from Bob Brown: Standup moved to 10:30").waitFor();

  // Scrolling up loads older pages and swaps rows: the announcer keeps its one sentence.
  await alice.waitForFunction(
    () => {
      const log = document.querySelector('[role="log"]');
      if (log) log.scrollTop = 0;
      return document.body.innerText.includes("This is the beginning of the conversation.");
    },
    null,
    { polling: 250, timeout: 60_000 },
  );
  await alice.getByText("bob update").first().waitFor();
  assert.deepEqual(await announcer.locator("p").allInnerTexts(), ["New message from Bob Brown: Standup moved to 10:30"]);
});
