// Every screen, as a person meets it (issue 22, points 6 and 7): a draft survives switching and
// a reload and marks its conversation; a message link opened by another member lands on the
// message in a long channel, a non-member's says they can't see it; Back and Forward move
// between conversations; the quick switcher works by keyboard alone; a phone walks list →
// conversation → thread → back with nothing overflowing.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, conversationId, onScreen, pageScroll, screenshot, seedMessages, signIn, suite, waitForStatus } from "./harness.mjs";
import { expectAccessible } from "./axe.mjs";

// Seeding hundreds of messages needs the send limit off.
const { stack, contexts } = suite(before, after, async (s) => {
  s.env = { ...s.env, RATE_LIMIT_SENDS: "off", RATE_LIMIT_CONVERSATION_WRITES: "off" };
});

async function person(userId, options = {}) {
  const context = await browser(`${userId}-screens`, options);
  contexts.push(context);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  return { context, page: await signIn(context, stack, userId) };
}

const title = (page, text) => page.getByTestId("conversation-title").filter({ hasText: text });
const sidebarRow = (page, name) => page.getByTestId(`conv-${name}`);
const focusedTestId = (page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
const focusOn = (page, testId) => page.waitForFunction((id) => document.activeElement?.getAttribute("data-testid") === id, testId);
const messageRow = (page, id) => page.locator(`[data-testid="messages"] [data-testid="message"][data-message-id="${id}"]`);

/** Inside the message list's visible area, not merely in the DOM (the list is virtualised). */
async function waitInList(page, locator, what) {
  await page.waitForFunction(
    (el) => {
      const scroller = el?.closest("[data-virtuoso-scroller]");
      if (!el || !scroller) return false;
      const r = el.getBoundingClientRect();
      const s = scroller.getBoundingClientRect();
      return r.height > 0 && r.top >= s.top - 1 && r.bottom <= s.bottom + 1;
    },
    await locator.elementHandle({ timeout: 20_000 }),
    { timeout: 20_000 },
  ).catch((e) => {
    throw new Error(`${what} is not in view: ${e.message}`);
  });
}

/** Nothing on the page scrolls sideways, and the page itself never grows. */
async function assertFits(page, label) {
  const s = await pageScroll(page);
  assert.ok(s.scrollWidth <= s.innerWidth, `${label}: the page scrolls sideways (${s.scrollWidth}px in ${s.innerWidth}px)`);
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        // A closed drawer is off-screen on purpose (moved out by its transform).
        const drawer = el.closest(".sidebar");
        const parked = drawer !== null && getComputedStyle(drawer).transform !== "none";
        return r.width > 0 && r.height > 0 && !parked && (r.right > window.innerWidth + 1 || r.left < -1);
      })
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} (${Math.round(el.getBoundingClientRect().left)}-${Math.round(el.getBoundingClientRect().right)}px)`)
      .slice(0, 5),
  );
  assert.deepEqual(wide, [], `${label}: elements stick out of the ${s.innerWidth}px window`);
}

let aliceToken;
let bobToken;
let longId;
let seeded;

/** #long: 400 of alice's messages, bob a member; tokens for the API (seeded once, by the first
 * test that needs it: the suite's stack is up by then). */
let seeding = null;
function seed() {
  seeding ??= (async () => {
    aliceToken = await stack.token("acme", "alice", "Alice Anderson");
    bobToken = await stack.token("acme", "bob", "Bob Brown");
    longId = (await stack.api(aliceToken, "POST", "/api/v1/chat/channels", { name: "long", visibility: "public" })).body.id;
    await stack.api(bobToken, "POST", `/api/v1/chat/channels/${longId}/join`);
    seeded = await seedMessages(
      stack,
      aliceToken,
      longId,
      Array.from({ length: 400 }, (_, i) => `long message ${i + 1}`),
    );
  })();
  return seeding;
}

test("a draft survives switching conversations and a reload, and marks its conversation", async () => {
  await seed();
  const { page: alice } = await person("alice");
  await sidebarRow(alice, "random").click();
  await title(alice, "#random").waitFor();
  const draft = "half a thought about the offsite";
  await alice.getByTestId("composer").fill(draft);
  await sidebarRow(alice, "general").click();
  await title(alice, "#general").waitFor();
  const mark = sidebarRow(alice, "random").getByRole("img", { name: "draft" });
  await mark.waitFor();
  assert.ok(await mark.isVisible(), "the pencil shows beside #random");
  assert.match(await sidebarRow(alice, "random").innerText(), /random/);
  assert.equal(await sidebarRow(alice, "general").getByRole("img", { name: "draft" }).count(), 0, "no pencil where there is no draft");
  await screenshot(alice, "screens-draft-marker");

  // Back to it: the text is there, and typing goes on after it.
  await sidebarRow(alice, "random").click();
  await title(alice, "#random").waitFor();
  assert.equal(await alice.getByTestId("composer").inputValue(), draft);
  await alice.getByTestId("composer").focus();
  assert.deepEqual(await alice.getByTestId("composer").evaluate((t) => [t.selectionStart, t.selectionEnd]), [draft.length, draft.length], "the caret is at the end");
  await alice.keyboard.type(" next week");
  assert.equal(await alice.getByTestId("composer").inputValue(), `${draft} next week`);

  // A reload (and another conversation after it) keeps it and its mark.
  await alice.reload();
  await title(alice, "#random").waitFor();
  assert.equal(await alice.getByTestId("composer").inputValue(), `${draft} next week`, "the draft is back after a reload");
  await sidebarRow(alice, "general").click();
  await title(alice, "#general").waitFor();
  await sidebarRow(alice, "random").getByRole("img", { name: "draft" }).waitFor();

  // Sent, it is no draft any more.
  await sidebarRow(alice, "random").click();
  await alice.getByTestId("composer").press("Enter");
  await alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: `${draft} next week` }).waitFor();
  await sidebarRow(alice, "general").click();
  await title(alice, "#general").waitFor();
  assert.equal(await sidebarRow(alice, "random").getByRole("img", { name: "draft" }).count(), 0, "no pencil after sending");
});

test("a message link opened by another member lands on the message, far back in a long channel", async () => {
  await seed();
  const target = seeded[59];
  assert.equal(target.body, "long message 60");
  // Alice copies the link from the message, by keyboard.
  const { page: alice } = await person("alice");
  await alice.goto(`${stack.url}/#/c/${longId}/m/${target.id}`);
  const mine = messageRow(alice, target.id);
  await waitInList(alice, mine, "alice's linked message");
  // Once the list has settled (the flash over, older pages loaded above it), by keyboard.
  await alice.waitForFunction((id) => !document.querySelector(`[data-message-id="${id}"]`)?.classList.contains("highlighted"), target.id, { timeout: 20_000 });
  await waitInList(alice, mine, "alice's linked message after the flash");
  await mine.getByTestId("reply-in-thread").focus();
  await alice.keyboard.press("Tab");
  assert.equal(await focusedTestId(alice), "copy-link", `Copy link is the next action, not ${await alice.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))}`);
  await alice.keyboard.press("Enter");
  await mine.getByTestId("copy-link").filter({ hasText: "Link copied" }).waitFor();
  const link = await alice.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, `${stack.url}/#/c/${longId}/m/${target.id}`);

  // Bob opens it in a fresh browser: he signs in, and lands on it.
  const context = await browser("bob-screens-link");
  contexts.push(context);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  const bob = await context.newPage();
  await bob.goto(link);
  await bob.getByTestId("signin-bob").click();
  await waitForStatus(bob, "connected");
  await title(bob, "#long").waitFor();
  const row = messageRow(bob, target.id);
  await waitInList(bob, row, "the linked message");
  assert.match((await row.getAttribute("class")) ?? "", /highlighted/, "the message is highlighted");
  // The list shows its rows once it has measured them (they are laid out, still hidden, before).
  await row.getByTestId("message-body").waitFor({ state: "visible" });
  assert.equal(await row.getByTestId("message-body").innerText(), "long message 60");
  assert.equal(await bob.getByTestId("message-body").filter({ hasText: /^long message 400$/ }).count(), 0, "the newest are not what he sees");
  await screenshot(bob, "screens-link-landed");
  // Briefly: the flash fades, the message stays in view.
  await bob.waitForFunction((id) => !document.querySelector(`[data-message-id="${id}"]`)?.classList.contains("highlighted"), target.id, { timeout: 20_000 });
  await waitInList(bob, row, "the linked message after the flash");
  // A reload comes back to it.
  await bob.reload();
  await title(bob, "#long").waitFor();
  await waitInList(bob, messageRow(bob, target.id), "the linked message after a reload");
  assert.equal(new URL(bob.url()).hash, `#/c/${longId}/m/${target.id}`);

  // A reply's link opens its thread at the reply.
  const root = seeded[399];
  const reply = await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${longId}/messages`, { clientMessageId: crypto.randomUUID(), body: "a reply worth linking", mentions: [], threadRootId: root.id });
  await bob.goto(`${stack.url}/#/c/${longId}/t/${root.id}/m/${reply.body.id}`);
  const panel = bob.getByTestId("thread-panel");
  await panel.waitFor();
  const replyRow = panel.locator(`[data-testid="message"][data-message-id="${reply.body.id}"]`);
  await replyRow.waitFor();
  assert.ok((await onScreen(replyRow)).inside, "the reply is in view in the thread");
  assert.match((await replyRow.getAttribute("class")) ?? "", /highlighted/);
  await replyRow.getByTestId("copy-link").click();
  assert.equal(await bob.evaluate(() => navigator.clipboard.readText()), `${stack.url}/#/c/${longId}/t/${root.id}/m/${reply.body.id}`, "a reply's link names its thread");
  await screenshot(bob, "screens-reply-link");
});

test("a link to a conversation you are not in says so (not a blank page)", async () => {
  await seed();
  const leadership = await conversationId(stack, aliceToken, "leadership");
  const secret = (await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${leadership}/messages`, { clientMessageId: crypto.randomUUID(), body: "private plans", mentions: [] })).body;
  const context = await browser("carol-screens");
  contexts.push(context);
  const carol = await context.newPage();
  await carol.goto(`${stack.url}/#/c/${leadership}/m/${secret.id}`);
  await carol.getByTestId("signin-carol").click();
  await waitForStatus(carol, "connected");
  const state = carol.getByTestId("unavailable");
  await state.waitFor();
  assert.ok(await carol.getByRole("heading", { name: "You can't see this conversation" }).isVisible());
  assert.equal(await carol.getByText("private plans").count(), 0, "nothing of it shows");
  assert.ok((await onScreen(state)).inside);
  await screenshot(carol, "screens-link-not-a-member");
  // Reloaded, the same; and a way on.
  await carol.reload();
  await carol.getByTestId("unavailable").waitFor();
  await carol.getByTestId("unavailable-open").click();
  await title(carol, "#general").waitFor();
  assert.equal(await carol.getByTestId("unavailable").count(), 0);
});

test("Back and Forward move between conversations; a reload keeps the conversation and its thread", async () => {
  await seed();
  const { page: alice } = await person("alice");
  for (const name of ["general", "random", "long"]) {
    await sidebarRow(alice, name).click();
    await title(alice, `#${name}`).waitFor();
  }
  await alice.goBack();
  await title(alice, "#random").waitFor();
  await alice.goBack();
  await title(alice, "#general").waitFor();
  await alice.goForward();
  await title(alice, "#random").waitFor();
  assert.ok((await onScreen(alice.getByTestId("composer"))).inside);

  // Scrolled up in #long, away and Back: the same message is at the top of the list again.
  await sidebarRow(alice, "long").click();
  await title(alice, "#long").waitFor();
  const scroller = alice.locator('[data-testid="messages"] [data-virtuoso-scroller]');
  await alice.locator('[data-testid="messages"] [data-testid="message"]').first().waitFor();
  await scroller.hover();
  for (let i = 0; i < 6; i++) await alice.mouse.wheel(0, -500);
  await alice.waitForFunction(() => {
    const s = document.querySelector('[data-testid="messages"] [data-virtuoso-scroller]');
    return s && s.scrollHeight - s.scrollTop - s.clientHeight > 1500;
  });
  const topMessage = () =>
    scroller.evaluate((s) => {
      const top = s.getBoundingClientRect().top;
      const row = [...s.querySelectorAll('[data-testid="message"]')].find((el) => el.getBoundingClientRect().top >= top - 1);
      return row ? { id: row.getAttribute("data-message-id"), offset: row.getBoundingClientRect().top - top } : null;
    });
  const before = await topMessage();
  assert.ok(before?.id, "a message at the top of the list");
  await sidebarRow(alice, "general").click();
  await title(alice, "#general").waitFor();
  await alice.goBack();
  await title(alice, "#long").waitFor();
  const place = messageRow(alice, before.id);
  await waitInList(alice, place, "the message that was at the top");
  const after = await place.evaluate((el) => el.getBoundingClientRect().top - el.closest("[data-virtuoso-scroller]").getBoundingClientRect().top);
  assert.ok(after >= -1 && after < 80, `it is at the top again (${after}px from it)`);
  assert.equal(await place.evaluate((el) => el.classList.contains("highlighted")), false, "no flash: this is no link");
  await screenshot(alice, "screens-back-to-place");

  // A thread opened beside #random: a reload comes back to both.
  const root = (await stack.api(bobToken, "POST", `/api/v1/chat/conversations/${await conversationId(stack, aliceToken, "random")}/messages`, { clientMessageId: crypto.randomUUID(), body: "a root for the reload", mentions: [] })).body;
  const rootRow = alice.locator(`[data-testid="message"][data-message-id="${root.id}"]`);
  await sidebarRow(alice, "random").click();
  await title(alice, "#random").waitFor();
  await rootRow.getByTestId("reply-in-thread").click();
  await alice.getByTestId("thread-panel").waitFor();
  await alice.reload();
  await title(alice, "#random").waitFor();
  await alice.locator(`[data-testid="thread-panel"][data-root-id="${root.id}"]`).waitFor();
  // Back from here goes to the conversation before, not to a panel state.
  await alice.goBack();
  await title(alice, "#long").waitFor();
  assert.equal(await alice.getByTestId("thread-panel").count(), 0);
});

test("the quick switcher, by keyboard alone, from the composer", async () => {
  await seed();
  const { page: alice } = await person("alice");
  // Something unread: it comes first when nothing is typed.
  await sidebarRow(alice, "long").click();
  await title(alice, "#long").waitFor();
  // #random is last in the sidebar's order: unread, it comes first.
  const random = await conversationId(stack, aliceToken, "random");
  await stack.api(bobToken, "POST", `/api/v1/chat/conversations/${random}/messages`, { clientMessageId: crypto.randomUUID(), body: "unread for alice", mentions: [] });
  await sidebarRow(alice, "random").getByTestId("unread-badge").waitFor();

  await alice.getByTestId("composer").focus();
  await alice.keyboard.press("Control+k");
  const dialog = alice.getByRole("dialog", { name: "Jump to a conversation" });
  await dialog.waitFor();
  await focusOn(alice, "switcher-input");
  const input = dialog.getByRole("combobox");
  assert.equal(await input.getAttribute("aria-expanded"), "true");
  const listId = await input.getAttribute("aria-controls");
  assert.equal(await alice.locator(`#${listId}`).getAttribute("role"), "listbox");
  const options = dialog.getByRole("option");
  assert.match(await options.first().innerText(), /^#random\s*1$/, "the unread conversation first, with its count");
  const active = async () => alice.locator(`[id="${await input.getAttribute("aria-activedescendant")}"]`);
  assert.equal(await (await active()).getAttribute("aria-selected"), "true");
  await screenshot(alice, "screens-switcher-empty");
  await expectAccessible(alice, "the quick switcher");

  // Typed: a prefix of a name; arrows move the choice, Enter opens it.
  await alice.keyboard.type("lea");
  await dialog.getByRole("option", { name: /#leadership/ }).waitFor();
  assert.match(await (await active()).innerText(), /#leadership/);
  await alice.keyboard.press("ArrowDown");
  await alice.keyboard.press("ArrowUp");
  assert.match(await (await active()).innerText(), /#leadership/);
  await alice.keyboard.press("Enter");
  await title(alice, "#leadership").waitFor();
  await dialog.waitFor({ state: "detached" });
  await focusOn(alice, "composer");

  // A person without a DM yet: the DM opens.
  await alice.keyboard.press("Control+k");
  await focusOn(alice, "switcher-input");
  await alice.keyboard.type("caro");
  const carol = dialog.getByRole("option", { name: /Carol Chen/ });
  await carol.waitFor();
  assert.equal(await carol.getAttribute("data-kind"), "person");
  await screenshot(alice, "screens-switcher-person");
  await alice.keyboard.press("Enter");
  await title(alice, "Carol Chen").waitFor();
  await focusOn(alice, "composer");

  // Nothing matching says so; Escape closes it and gives the keyboard back where it was.
  await alice.keyboard.press("Control+k");
  await focusOn(alice, "switcher-input");
  await alice.keyboard.type("zzzq");
  await dialog.getByTestId("switcher-none").filter({ hasText: "Nothing matches “zzzq”." }).waitFor();
  assert.equal(await input.getAttribute("aria-expanded"), "false");
  await alice.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  await focusOn(alice, "composer");
  await title(alice, "Carol Chen").waitFor();
});

test("a phone: one pane at a time, list → conversation → thread → back, nothing overflowing", async () => {
  await seed();
  const random = await conversationId(stack, aliceToken, "random");
  const root = (await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${random}/messages`, { clientMessageId: crypto.randomUUID(), body: "a thread for the phone", mentions: [] })).body;
  await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${random}/messages`, { clientMessageId: crypto.randomUUID(), body: "a reply on the phone", mentions: [], threadRootId: root.id });

  const { page: bob } = await person("bob", { viewport: { width: 375, height: 740 } });
  // The list first.
  const list = bob.locator("nav.sidebar");
  assert.ok(await list.isVisible(), "the conversation list shows");
  assert.ok(!(await bob.getByTestId("composer").isVisible()), "no conversation beside it");
  const box = await sidebarRow(bob, "random").boundingBox();
  assert.ok(box && box.height >= 40 && box.width >= 300, `a conversation is a big touch target (${JSON.stringify(box)})`);
  await assertFits(bob, "the list");
  await screenshot(bob, "screens-phone-list");

  // The conversation, with a Back control.
  await sidebarRow(bob, "random").click();
  await title(bob, "#random").waitFor();
  const summary = bob.locator(`[data-testid="message"][data-message-id="${root.id}"]`).getByTestId("thread-summary");
  await summary.waitFor();
  assert.ok(!(await list.isVisible()), "the list went");
  const titleBox = await title(bob, "#random").boundingBox();
  assert.ok(titleBox && titleBox.width >= 70, `the title has room (${JSON.stringify(titleBox)})`);
  const back = bob.getByRole("button", { name: "Back to conversations" });
  assert.ok(await back.isVisible());
  assert.ok((await back.boundingBox()).height >= 40, "Back is a touch target");
  assert.ok((await onScreen(bob.getByTestId("composer"))).inside, "the composer is on screen");
  await assertFits(bob, "the conversation");
  await screenshot(bob, "screens-phone-conversation");

  // The thread, over the conversation, with its own Back.
  await summary.click();
  const panel = bob.getByTestId("thread-panel");
  await panel.getByText("a reply on the phone").waitFor();
  const panelBox = await panel.boundingBox();
  assert.ok(panelBox && panelBox.x <= 0.5 && panelBox.width >= 374, "the thread covers the screen");
  assert.ok(await bob.getByTestId("thread-back").isVisible());
  await assertFits(bob, "the thread");
  await screenshot(bob, "screens-phone-thread");

  // The browser's Back: the conversation again.
  await bob.goBack();
  await panel.waitFor({ state: "detached" });
  await title(bob, "#random").waitFor();
  assert.ok(await bob.getByTestId("composer").isVisible());
  // Forward: the thread again; its Back control goes back the same way.
  await bob.goForward();
  await panel.waitFor();
  await bob.getByTestId("thread-back").click();
  await panel.waitFor({ state: "detached" });
  assert.ok(await title(bob, "#random").isVisible());
  // The conversation's Back: the list, with the keyboard on the conversation just left.
  await back.click();
  await list.waitFor();
  assert.ok(await list.isVisible());
  await bob.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "conv-random").catch(async (e) => {
    throw new Error(`focus is on ${await bob.evaluate(() => document.activeElement?.outerHTML.slice(0, 160))}: ${e.message}`);
  });
  assert.ok(!(await bob.getByTestId("composer").isVisible()));
  assert.equal(new URL(bob.url()).hash, "#/");
  // And the browser's Forward goes into the conversation again.
  await bob.goForward();
  await title(bob, "#random").waitFor();
  assert.ok(!(await list.isVisible()));

  // 360 px wide: still nothing sticks out.
  await bob.setViewportSize({ width: 360, height: 740 });
  await assertFits(bob, "the conversation at 360 px");
  await back.click();
  await list.waitFor();
  await assertFits(bob, "the list at 360 px");
});

test("desktop and a mid-size window: the sidebar is there, or a drawer", async () => {
  await seed();
  const { page: alice } = await person("alice", { viewport: { width: 1280, height: 800 } });
  await sidebarRow(alice, "general").click();
  await title(alice, "#general").waitFor();
  assert.ok(await alice.locator("nav.sidebar").isVisible());
  assert.ok(!(await alice.getByTestId("nav-toggle").isVisible()), "no drawer button on a wide screen");
  await assertFits(alice, "desktop");
  await screenshot(alice, "screens-desktop");
  await alice.setViewportSize({ width: 800, height: 700 });
  const toggle = alice.getByTestId("nav-toggle");
  await toggle.waitFor();
  // The list folds away into the drawer (it slides out of the window).
  await alice.waitForFunction(() => (document.querySelector("nav.sidebar")?.getBoundingClientRect().right ?? 1) <= 0);
  assert.ok(!(await onScreen(sidebarRow(alice, "random"))).inside, "the drawer is closed");
  await toggle.click();
  await alice.waitForFunction(() => document.querySelector("nav.sidebar")?.getBoundingClientRect().left === 0);
  await sidebarRow(alice, "random").click();
  await title(alice, "#random").waitFor();
  // Picking closes the drawer: it slides out of the window.
  await alice.waitForFunction(() => (document.querySelector("nav.sidebar")?.getBoundingClientRect().right ?? 1) <= 0);
  await alice.getByTestId("messages").waitFor();
  await assertFits(alice, "800 px");
  await screenshot(alice, "screens-800");
});
