// Group DMs (issue 22.4) as people meet them: alice opens one with bob and carol through the
// "New message" dialog by keyboard alone and writes; bob and carol, each in a browser of their
// own and reading something else, see it appear in their sidebars live, named by its other people
// and with an unread badge; carol's reply reaches alice live; a reload keeps it; the members
// panel lists the three; and a phone-sized window shows it, the dialog included.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, focusedTestId, onScreen, pageScroll, screenshot, showConversationList, signIn, suite, tabTo } from "./harness.mjs";
import { expectAccessible } from "./axe.mjs";

const { stack, contexts } = suite(before, after);

const focusOn = (page, testId) => page.waitForFunction((id) => document.activeElement?.getAttribute("data-testid") === id, testId);

/** A group DM's sidebar row, by the full names of its other people (its tooltip; the row itself
 * shows first names). */
function row(page, names) {
  return page.locator(`nav.sidebar button.conv[title="${names}"]`);
}

async function person(userId, options) {
  const context = await browser(`${userId}-group-dm`, options);
  contexts.push(context);
  return signIn(context, stack, userId);
}

/** The newest message reads `text` and is on screen, the list at its bottom. */
async function newestInView(page, text) {
  const last = page.getByTestId("message-body").last();
  await last.filter({ hasText: text }).waitFor({ timeout: 10_000 });
  assert.ok((await onScreen(last)).inside, `the newest message "${text}" is on screen`);
  const gap = await page.getByTestId("message-scroller").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  assert.ok(gap < 45, `the list is at its bottom (${gap}px left)`);
}

async function chips(page) {
  return page.getByTestId("person-chip").locator("span").allInnerTexts();
}

let alice;
let bob;
let carol;

test("alice opens a group DM with bob and carol by keyboard alone; they see it live", async () => {
  bob = await person("bob");
  carol = await person("carol");
  for (const page of [bob, carol]) {
    await page.getByTestId("conv-general").click();
    await page.getByTestId("conversation-title").filter({ hasText: "#general" }).waitFor();
  }
  alice = await person("alice");

  // Keyboard only from here: Tab reaches "New message", Enter opens the dialog on its box.
  await tabTo(alice, "new-message");
  await alice.keyboard.press("Enter");
  const dialog = alice.getByRole("dialog", { name: "New message" });
  await dialog.waitFor();
  await expectAccessible(alice, "the New message dialog");
  await focusOn(alice, "new-message-to");
  const to = alice.getByTestId("new-message-to");
  assert.equal(await to.getAttribute("role"), "combobox");

  await alice.keyboard.type("b");
  await alice.getByRole("option", { name: /Bob Brown/ }).waitFor();
  await alice.keyboard.press("Enter");
  assert.deepEqual(await chips(alice), ["Bob Brown"]);
  assert.equal(await to.inputValue(), "", "the box is empty for the next name");
  // A second person by arrows: the highlighted option is the one Enter adds.
  await alice.keyboard.type("c");
  await alice.getByRole("option", { name: /Carol Chen/ }).waitFor();
  const options = await alice.getByRole("option").allInnerTexts();
  for (let i = 0; i < options.findIndex((o) => o.includes("Carol Chen")); i++) await alice.keyboard.press("ArrowDown");
  assert.match(await alice.getByRole("option", { selected: true }).innerText(), /Carol Chen/);
  assert.equal(await to.getAttribute("aria-activedescendant"), "new-message-results-carol");
  await alice.keyboard.press("Enter");
  assert.deepEqual(await chips(alice), ["Bob Brown", "Carol Chen"]);
  // Backspace in the empty box takes the last person off; adding her again puts her back.
  await alice.keyboard.press("Backspace");
  assert.deepEqual(await chips(alice), ["Bob Brown"]);
  await alice.getByRole("status").filter({ hasText: "Carol Chen removed" }).waitFor();
  await alice.keyboard.type("car");
  await alice.getByRole("option", { name: /Carol Chen/ }).waitFor();
  await alice.keyboard.press("Enter");
  assert.deepEqual(await chips(alice), ["Bob Brown", "Carol Chen"]);
  assert.equal(await alice.getByTestId("new-message-open").innerText(), "Start group conversation");
  assert.equal(await focusedTestId(alice), "new-message-to", "focus stayed in the box throughout");
  assert.ok((await onScreen(dialog)).inside);
  await screenshot(alice, "group-dm-dialog");

  // Enter in the empty box opens it; the keyboard lands in its composer.
  await alice.keyboard.press("Enter");
  await dialog.waitFor({ state: "detached" });
  await alice.getByTestId("conversation-title").filter({ hasText: "Bob Brown, Carol Chen" }).waitFor();
  await focusOn(alice, "composer");
  await alice.keyboard.type("hello both, plans for friday?");
  await alice.keyboard.press("Enter");
  await alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: "plans for friday" }).waitFor();
  const aliceRow = row(alice, "Bob Brown, Carol Chen");
  await aliceRow.waitFor();
  assert.ok(await alice.getByRole("button", { name: "Group message with Bob Brown, Carol Chen" }).isVisible(), "the row's accessible name lists everyone");
  await screenshot(alice, "group-dm-alice-sent");

  // Bob and carol never reloaded: the group DM is in their sidebars, named by the other two,
  // with one unread message, while they keep reading #general.
  for (const [page, names, shown] of [
    [bob, "Alice Anderson, Carol Chen", "Alice, Carol"],
    [carol, "Alice Anderson, Bob Brown", "Alice, Bob"],
  ]) {
    const dm = row(page, names);
    await dm.getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    assert.ok((await onScreen(dm)).inside, `${names} is on screen in the sidebar`);
    const text = await dm.locator(".conv-name").innerText();
    assert.ok(text.endsWith(shown), `the row shows first names: "${text}"`);
    assert.equal(await dm.locator(".people-count").innerText(), "2", "and how many others");
    assert.ok(await page.getByRole("button", { name: `Group message with ${names}, 1 unread` }).isVisible(), "the accessible name has everyone and the count");
    assert.equal(await page.getByTestId("conversation-title").innerText(), "#general", "still reading #general");
  }
  await screenshot(bob, "group-dm-bob-sidebar");

  // Carol opens it, reads it, and replies; alice has it live at the bottom.
  await row(carol, "Alice Anderson, Bob Brown").click();
  await carol.getByTestId("conversation-title").filter({ hasText: "Alice Anderson, Bob Brown" }).waitFor();
  await newestInView(carol, "hello both, plans for friday?");
  await row(carol, "Alice Anderson, Bob Brown").getByTestId("unread-badge").waitFor({ state: "detached" });
  await carol.getByTestId("composer").fill("friday works for me");
  await carol.getByTestId("composer").press("Enter");
  await newestInView(alice, "friday works for me");
  await screenshot(carol, "group-dm-carol-replied");
  // Bob, still on #general, now has two unread.
  await row(bob, "Alice Anderson, Carol Chen").getByTestId("unread-badge").filter({ hasText: /^2$/ }).waitFor();
});

test("the members panel lists the three; a reload keeps the group DM where alice was", async () => {
  await alice.getByTestId("members-button").click();
  const panel = alice.getByTestId("members-panel");
  await panel.waitFor();
  const members = await panel.getByTestId("member").allInnerTexts();
  assert.deepEqual(members.map((m) => m.split(" @")[0]).sort(), ["Alice Anderson", "Bob Brown", "Carol Chen"]);
  assert.equal(await panel.getByTestId("invite-search").count(), 0, "no one is invited into a DM");
  assert.equal(await panel.getByRole("button", { name: /^Remove/ }).count(), 0, "no one is removed from a DM");
  assert.equal(await alice.getByTestId("leave-button").count(), 0, "a DM is not left");
  await screenshot(alice, "group-dm-members");
  // "Add people" starts a new conversation with everyone chosen.
  await panel.getByTestId("add-people").click();
  await alice.getByRole("dialog", { name: "New message" }).waitFor();
  assert.deepEqual(await chips(alice), ["Bob Brown", "Carol Chen"]);
  await alice.keyboard.press("Escape");
  await alice.getByRole("dialog", { name: "New message" }).waitFor({ state: "detached" });

  await alice.reload();
  await alice.getByTestId("conversation-title").filter({ hasText: "Bob Brown, Carol Chen" }).waitFor();
  await newestInView(alice, "friday works for me");
  assert.deepEqual(await alice.getByTestId("message-body").allInnerTexts(), ["hello both, plans for friday?", "friday works for me"]);
  assert.equal(await row(alice, "Bob Brown, Carol Chen").count(), 1, "listed once");
  assert.equal(await row(alice, "Bob Brown, Carol Chen").getByTestId("unread-badge").count(), 0, "read while open");
  await screenshot(alice, "group-dm-alice-after-reload");
});

test("opening the same people again lands on the same conversation", async () => {
  // Bob names the other two through the dialog, in the other order.
  await bob.getByTestId("new-message").click();
  await focusOn(bob, "new-message-to");
  for (const [typed, name] of [
    ["car", "Carol Chen"],
    ["ali", "Alice Anderson"],
  ]) {
    await bob.keyboard.type(typed);
    await bob.getByRole("option", { name: new RegExp(name) }).waitFor();
    await bob.keyboard.press("Enter");
  }
  await bob.getByTestId("new-message-open").click();
  await bob.getByTestId("conversation-title").filter({ hasText: "Alice Anderson, Carol Chen" }).waitFor();
  await newestInView(bob, "friday works for me");
  assert.equal(await row(bob, "Alice Anderson, Carol Chen").count(), 1, "one conversation, not two");

  // Search finds its messages for a member, under the group's names.
  await bob.getByTestId("search-input").fill("friday");
  await bob.getByTestId("search-input").press("Enter");
  const hits = bob.getByTestId("search-result");
  await bob.waitForFunction(() => document.querySelectorAll('[data-testid="search-result"]').length === 2);
  for (const hit of await hits.all()) assert.match(await hit.innerText(), /^Alice Anderson, Carol Chen ·/);
  await screenshot(bob, "group-dm-search");
});

test("a phone-sized window: the group DM in the conversation list, its header and composer in view, the dialog fits", async () => {
  const phone = await person("carol", { viewport: { width: 390, height: 844 } });
  // Under 600 px one pane at a time: the conversation list first.
  await showConversationList(phone);
  const dm = row(phone, "Alice Anderson, Bob Brown");
  await dm.waitFor();
  assert.ok((await onScreen(dm)).inside, "the group DM is in the list");
  await screenshot(phone, "group-dm-phone-list");
  await dm.click();
  await phone.getByTestId("conversation-title").filter({ hasText: "Alice Anderson, Bob Brown" }).waitFor();
  await newestInView(phone, "friday works for me");
  for (const id of ["conversation-title", "composer"]) {
    assert.ok((await onScreen(phone.getByTestId(id))).inside, `${id} is in view`);
  }
  const s = await pageScroll(phone);
  assert.ok(s.scrollWidth <= s.innerWidth, `no sideways scroll (${s.scrollWidth}px in ${s.innerWidth}px)`);
  await screenshot(phone, "group-dm-phone-conversation");

  await showConversationList(phone);
  await phone.getByTestId("new-message").click();
  const dialog = phone.getByRole("dialog", { name: "New message" });
  await dialog.waitFor();
  await focusOn(phone, "new-message-to");
  await phone.keyboard.type("bo");
  await phone.getByRole("option", { name: /Bob Brown/ }).waitFor();
  await phone.keyboard.press("Enter");
  const box = await onScreen(dialog);
  assert.ok(box.inside, `the dialog fits the phone (${JSON.stringify(box.box)})`);
  assert.ok((await onScreen(phone.getByTestId("new-message-open"))).inside, "its button is in reach");
  await screenshot(phone, "group-dm-phone-dialog");
  await phone.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
});
