// The papercuts of issue 18, as a person meets them: delete, remove and leave ask first (an
// accessible dialog, keyboard only), leaving says "You left", Escape closes every dialog and
// panel and gives focus back, Enter and arrows pick in the user pickers, Download keeps the app
// open, toasts stay off Send, an empty channel says what to do, and retention validates and
// says "Saved".

import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { browser, onScreen, screenshot, signIn, suite } from "./harness.mjs";

const { stack, contexts } = suite(before, after);

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

async function person(userId, name = userId) {
  const context = await browser(`${name}-papercuts`);
  contexts.push(context);
  return signIn(context, stack, userId);
}

const focusedTestId = (page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
const dialog = (page) => page.getByTestId("confirm-dialog");
const focusOn = (page, testId) => page.waitForFunction((id) => document.activeElement?.getAttribute("data-testid") === id, testId);

async function send(page, text) {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
  await page.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: text }).waitFor();
}

function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

let alice;

test("delete asks first, by keyboard: Escape cancels and gives focus back, Enter deletes", async () => {
  alice = await person("alice");
  await alice.getByTestId("conv-random").click();
  await send(alice, "a message to delete");
  const id = await alice.locator('[data-testid="message"]').filter({ hasText: "a message to delete" }).getAttribute("data-message-id");
  const message = alice.locator(`[data-testid="message"][data-message-id="${id}"]`);
  // Keyboard only: Tab from the message's Edit reaches its Delete.
  await message.getByTestId("edit").focus();
  await alice.keyboard.press("Tab");
  assert.equal(await focusedTestId(alice), "delete");
  assert.ok((await message.getByTestId("delete").evaluate((b) => getComputedStyle(b.parentElement).opacity)) === "1", "focused actions show");
  await alice.keyboard.press("Enter");
  await dialog(alice).waitFor();
  assert.ok(await alice.getByRole("dialog", { name: "Delete this message?" }).isVisible(), "an accessible, named dialog");
  await focusOn(alice, "confirm-ok");
  assert.ok((await onScreen(dialog(alice))).inside);
  await screenshot(alice, "papercuts-confirm-delete");
  await alice.keyboard.press("Escape");
  await dialog(alice).waitFor({ state: "detached" });
  assert.equal(await message.getByTestId("message-body").innerText(), "a message to delete", "Escape deleted nothing");
  await focusOn(alice, "delete");
  await alice.keyboard.press("Enter");
  await dialog(alice).waitFor();
  await focusOn(alice, "confirm-ok");
  await alice.keyboard.press("Enter");
  await message.getByText("This message was deleted.").waitFor();
  // Its buttons went with it: the keyboard is in the composer, not lost on the page.
  await focusOn(alice, "composer");
  await screenshot(alice, "papercuts-deleted");
});

test("editing in place: the box takes focus, Enter saves, Escape cancels, focus goes back to Edit", async () => {
  await send(alice, "a message with a typo");
  const message = alice.locator('[data-testid="message"]').filter({ hasText: "a message with a typo" });
  await message.getByTestId("edit").click();
  const box = message.getByTestId("edit-input");
  await focusOn(alice, "edit-input");
  assert.ok((await onScreen(box)).inside, "the edit box is in view");
  await screenshot(alice, "papercuts-editing");
  await alice.keyboard.press("End");
  await alice.keyboard.type(" fixed");
  await alice.keyboard.press("Enter");
  await message.getByTestId("message-body").filter({ hasText: "a message with a typo fixed" }).waitFor();
  assert.equal(await box.count(), 0, "Enter saved and closed the box");
  await message.getByText("(edited)").waitFor();
  await focusOn(alice, "edit");
  await alice.keyboard.press("Enter");
  await focusOn(alice, "edit-input");
  await alice.keyboard.type(" and more");
  await alice.keyboard.press("Escape");
  assert.equal(await box.count(), 0, "Escape closed the box");
  assert.equal(await message.getByTestId("message-body").innerText(), "a message with a typo fixed", "Escape saved nothing");
  await focusOn(alice, "edit");
});

test("leaving asks first, then says 'You left #random' (not 'removed'), and toasts stay off Send", async () => {
  await alice.getByTestId("leave-button").click();
  await dialog(alice).waitFor();
  assert.match(await dialog(alice).innerText(), /Leave #random\?/);
  await alice.getByTestId("confirm-cancel").click();
  await dialog(alice).waitFor({ state: "detached" });
  assert.equal(await alice.getByTestId("conv-random").count(), 1, "cancel kept the channel");
  await alice.getByTestId("leave-button").click();
  await alice.getByTestId("confirm-ok").click();
  const toast = alice.getByTestId("toast").filter({ hasText: "You left #random" });
  await toast.waitFor({ timeout: 10_000 });
  await alice.getByTestId("conv-random").waitFor({ state: "detached" });
  // The server's memberRemoved event arrives too: it must not add a "removed" toast.
  await alice.waitForTimeout(1500);
  const texts = await alice.getByTestId("toast").allInnerTexts();
  assert.ok(!texts.some((t) => t.includes("removed")), `no removal toast: ${JSON.stringify(texts)}`);
  const toastBox = await toast.boundingBox();
  const sendBox = await alice.getByTestId("send").boundingBox();
  assert.ok(!overlaps(toastBox, sendBox), "the toast does not cover Send");
  assert.ok(!overlaps(toastBox, await alice.getByTestId("composer").boundingBox()), "nor the composer");
  await screenshot(alice, "papercuts-left-toast");
});

test("removing a member asks first", async () => {
  await alice.getByTestId("conv-general").click();
  await alice.getByTestId("members-button").click();
  await alice.getByTestId("remove-carol").waitFor();
  await alice.getByTestId("remove-carol").click();
  await dialog(alice).waitFor();
  assert.match(await dialog(alice).innerText(), /Remove Carol/);
  // Escape closes the dialog only, not the members panel behind it.
  await alice.keyboard.press("Escape");
  await dialog(alice).waitFor({ state: "detached" });
  assert.ok(await alice.getByTestId("members-panel").isVisible(), "the panel stays");
  assert.equal(await alice.getByTestId("remove-carol").count(), 1, "carol is still a member");
  await alice.getByTestId("remove-carol").click();
  await alice.getByTestId("confirm-ok").click();
  await alice.getByTestId("remove-carol").waitFor({ state: "detached" });
  // Put her back for the picker test (Enter picks the first result).
  await alice.getByTestId("invite-search").fill("car");
  await alice.getByTestId("pick-carol").waitFor();
  await alice.getByTestId("invite-search").press("Enter");
  await alice.getByTestId("remove-carol").waitFor();
  assert.equal(await alice.getByTestId("invite-search").inputValue(), "", "the picker clears after a pick");
  await screenshot(alice, "papercuts-members-enter");
});

test("Escape closes every panel and dialog, and focus returns to what opened it", async () => {
  // The members panel (open from the last test).
  await alice.getByTestId("members-button").focus();
  await alice.keyboard.press("Escape");
  await alice.getByTestId("members-panel").waitFor({ state: "detached" });
  for (const [opener, panel] of [
    ["browse-channels", "channel-browser"],
    ["open-retention", "retention-panel"],
  ]) {
    await alice.getByTestId(opener).focus();
    await alice.keyboard.press("Enter");
    await alice.getByTestId(panel).waitFor();
    assert.ok((await onScreen(alice.getByTestId(panel))).inside, `${panel} is on screen`);
    await screenshot(alice, `papercuts-${panel}`);
    await alice.keyboard.press("Escape");
    await alice.getByTestId(panel).waitFor({ state: "detached" });
    assert.equal(await focusedTestId(alice), opener, `focus is back on ${opener}`);
  }
  await alice.getByTestId("search-input").fill("delete");
  await alice.getByTestId("search-input").press("Enter");
  await alice.getByTestId("search-panel").waitFor();
  await alice.keyboard.press("Escape");
  await alice.getByTestId("search-panel").waitFor({ state: "detached" });

  const root = await person("root");
  await root.getByTestId("open-operations").click();
  await root.getByTestId("operations-panel").waitFor();
  await root.keyboard.press("Escape");
  await root.getByTestId("operations-panel").waitFor({ state: "detached" });
});

test("the DM picker: arrows move, Enter opens the highlighted person", async () => {
  // A second "bo…" person, so there is something to arrow to.
  const bobby = await stack.token("acme", "bobby", "Bobby Tables");
  await stack.api(bobby, "GET", "/api/v1/me");
  const picker = alice.getByTestId("dm-search");
  await picker.focus();
  await alice.keyboard.type("bo");
  await alice.getByTestId("pick-bobby").waitFor();
  await alice.getByTestId("pick-bob").waitFor();
  const selected = () => alice.locator("#dm-search-results [aria-selected='true']").innerText();
  const firstName = await selected();
  await alice.keyboard.press("ArrowDown");
  const secondName = await selected();
  assert.notEqual(secondName, firstName, "ArrowDown moves the highlight");
  await screenshot(alice, "papercuts-dm-picker");
  await alice.keyboard.press("Enter");
  const expected = secondName.split(" @")[0].trim();
  await alice.getByTestId("conversation-title").filter({ hasText: expected }).waitFor({ timeout: 10_000 });
  await focusOn(alice, "composer");
  await screenshot(alice, "papercuts-dm-opened");
});

test("an empty channel says it is the very beginning and what to do", async () => {
  await alice.getByTestId("browse-channels").click();
  await alice.getByTestId("new-channel-name").fill("quiet");
  await alice.getByTestId("create-channel").click();
  await alice.getByTestId("conversation-title").filter({ hasText: "#quiet" }).waitFor({ timeout: 10_000 });
  const empty = alice.getByTestId("empty-conversation");
  await empty.waitFor();
  assert.match(await empty.innerText(), /This is the very beginning of #quiet/);
  assert.ok((await onScreen(empty)).inside, "the empty state is on screen");
  await screenshot(alice, "papercuts-empty-channel");
  await send(alice, "first words");
  await empty.waitFor({ state: "detached" });
});

test("retention: 0 days is refused in the form with a clear message; a good value says Saved", async () => {
  await alice.getByTestId("open-retention").click();
  await alice.getByTestId("retention-days").fill("0");
  await alice.getByTestId("retention-save").click();
  const error = alice.getByTestId("retention-error");
  await error.waitFor();
  assert.match(await error.innerText(), /whole number of days from 1 to 36,500/);
  assert.equal(await alice.getByTestId("retention-days").getAttribute("aria-invalid"), "true");
  assert.equal(await alice.getByTestId("toast").filter({ hasText: "retention" }).count(), 0, "no raw server error");
  await screenshot(alice, "papercuts-retention-invalid");
  await alice.getByTestId("retention-days").fill("30");
  await alice.getByTestId("retention-save").click();
  await alice.getByTestId("retention-saved").filter({ hasText: "Saved" }).waitFor();
  assert.equal(await error.count(), 0);
  await screenshot(alice, "papercuts-retention-saved");
  await alice.keyboard.press("Escape");
  await alice.getByTestId("retention-panel").waitFor({ state: "detached" });
  // Opened again, the form shows what the server now holds.
  await alice.getByTestId("open-retention").click();
  await alice.waitForFunction(() => document.querySelector('[data-testid="retention-days"]')?.value === "30");
  await alice.keyboard.press("Escape");
  await alice.getByTestId("retention-panel").waitFor({ state: "detached" });
});

test("Download saves an image without leaving the app", async () => {
  await alice.getByTestId("conv-general").click();
  const dir = mkdtempSync(join(tmpdir(), "tenant-chat-papercuts-"));
  const picture = join(dir, "pixel.png");
  writeFileSync(picture, PNG);
  await alice.getByTestId("file-input").setInputFiles([picture]);
  await alice.locator('[data-testid="upload"][data-state="done"]').waitFor({ timeout: 15_000 });
  await alice.getByTestId("composer").fill("a picture");
  await alice.getByTestId("send").click();
  const message = alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: "a picture" });
  await message.getByTestId("attachment-preview").waitFor({ timeout: 10_000 });
  const before = alice.url();
  let navigated = false;
  alice.on("framenavigated", (f) => {
    if (f === alice.mainFrame() && !f.url().startsWith(before.split("#")[0])) navigated = true;
  });
  const [download] = await Promise.all([alice.waitForEvent("download"), message.getByTestId("attachment-download").click()]);
  assert.equal(download.suggestedFilename(), "pixel.png");
  assert.deepEqual(readFileSync(await download.path()), PNG, "the file's bytes");
  await alice.waitForTimeout(500);
  assert.ok(!navigated, "the page did not navigate");
  assert.equal(alice.url(), before, "still on the same page");
  assert.ok(await alice.getByTestId("chat").isVisible(), "the app is still there");
  await screenshot(alice, "papercuts-after-download");
});

test("in a narrow window, Escape closes the conversation drawer and focus goes back to its button", async () => {
  // Between 600 and 900 px the list is a drawer (a phone shows it as a pane of its own).
  const context = await browser("carol-phone-papercuts", { viewport: { width: 700, height: 800 } });
  contexts.push(context);
  const carol = await signIn(context, stack, "carol");
  const toggle = carol.getByTestId("nav-toggle");
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
  // The drawer slides in.
  const inView = async () => (await onScreen(carol.getByTestId("conv-general"))).inside;
  for (let i = 0; i < 20 && !(await inView()); i++) await carol.waitForTimeout(100);
  assert.ok(await inView(), "the drawer shows the conversations");
  await screenshot(carol, "papercuts-phone-drawer-open");
  await carol.keyboard.press("Escape");
  await carol.waitForFunction(() => document.querySelector('[data-testid="nav-toggle"]')?.getAttribute("aria-expanded") === "false");
  await focusOn(carol, "nav-toggle");
  for (let i = 0; i < 20 && (await inView()); i++) await carol.waitForTimeout(100);
  assert.ok(!(await inView()), "the drawer is gone");
  await screenshot(carol, "papercuts-phone-drawer-closed");
});
