// Managing a channel (issue 22.5), as two people see it: alice, the channel's admin, renames
// #launch-plans, edits its topic and archives it with the keyboard alone; bob, a member in
// another browser, sees each change live in the header and the sidebar, then the read-only
// notice in place of the composer; browsing no longer lists the channel, but bob still finds its
// messages in search; alice unarchives it and bob can post again; a reload keeps all of it; and
// on a phone the notice is on screen.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { browser, onScreen, screenshot, showConversationList, signIn, suite, tabTo, waitForStatus } from "./harness.mjs";
import { expectAccessible } from "./axe.mjs";

const { stack, contexts } = suite(before, after);

const TIMEOUT = { timeout: 10_000 };

/** The open conversation's title and topic line, as shown. */
async function header(page) {
  const topic = page.locator(".conversation-heading .topic");
  return {
    title: await page.getByTestId("conversation-title").innerText(),
    topic: (await topic.count()) ? await topic.innerText() : null,
  };
}

async function waitForTitle(page, title) {
  await page.getByTestId("conversation-title").filter({ hasText: new RegExp(`^${title}$`) }).waitFor(TIMEOUT);
}

test("a channel admin renames, edits the topic, archives and unarchives; a member follows live", async () => {
  const aliceToken = await stack.token("acme", "alice", "Alice Anderson");
  const created = await stack.api(aliceToken, "POST", "/api/v1/chat/channels", { name: "launch-plans", visibility: "public" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const channel = created.body.id;
  assert.equal((await stack.api(aliceToken, "POST", `/api/v1/chat/channels/${channel}/members`, { userId: "bob" })).status, 204);
  const sent = await stack.api(aliceToken, "POST", `/api/v1/chat/conversations/${channel}/messages`, { clientMessageId: crypto.randomUUID(), body: "the kiwi launch checklist", mentions: [] });
  assert.equal(sent.status, 201);

  const aliceContext = await browser("alice-chanmgmt");
  const bobContext = await browser("bob-chanmgmt");
  contexts.push(aliceContext, bobContext);
  const alice = await signIn(aliceContext, stack, "alice");
  const bob = await signIn(bobContext, stack, "bob");

  // Bob opens the channel; alice gets there with the keyboard.
  await bob.getByTestId("conv-launch-plans").click();
  await waitForTitle(bob, "#launch-plans");
  await tabTo(alice, alice.getByTestId("conv-launch-plans"));
  await alice.keyboard.press("Enter");
  await waitForTitle(alice, "#launch-plans");
  // A plain member has no settings; the admin has, and an "Add a topic" line.
  assert.equal(await bob.getByTestId("channel-settings-button").count(), 0);
  assert.equal(await bob.getByTestId("channel-topic").count(), 0);
  assert.equal(await alice.getByTestId("channel-topic").innerText(), "Add a topic");

  // Rename: Settings, the name field has the keyboard, Enter saves.
  const settingsButton = alice.getByTestId("channel-settings-button");
  await tabTo(alice, settingsButton);
  await alice.keyboard.press("Enter");
  const nameInput = alice.getByTestId("channel-name-input");
  await nameInput.waitFor(TIMEOUT);
  assert.ok(await nameInput.evaluate((el) => el === document.activeElement), "the name field has the keyboard");
  await screenshot(alice, "chanmgmt-settings-dialog");
  await alice.keyboard.press("Control+A");
  await alice.keyboard.type("launch-2026");
  await alice.keyboard.press("Enter");
  await alice.getByTestId("channel-settings").waitFor({ state: "detached", ...TIMEOUT });
  assert.ok(await settingsButton.evaluate((el) => el === document.activeElement), "focus is back on Settings");
  await waitForTitle(alice, "#launch-2026");
  // Bob: the header and the sidebar follow, live.
  await waitForTitle(bob, "#launch-2026");
  await bob.getByTestId("conv-launch-2026").waitFor(TIMEOUT);
  assert.equal(await bob.getByTestId("conv-launch-plans").count(), 0);

  // The topic: the topic line opens the settings on the topic field.
  await tabTo(alice, alice.getByTestId("channel-topic"));
  await alice.keyboard.press("Enter");
  const topicInput = alice.getByTestId("channel-topic-input");
  await topicInput.waitFor(TIMEOUT);
  assert.ok(await topicInput.evaluate((el) => el === document.activeElement), "the topic field has the keyboard");
  await alice.keyboard.type("Ship it by Friday");
  await alice.keyboard.press("Enter");
  await alice.getByTestId("channel-settings").waitFor({ state: "detached", ...TIMEOUT });
  await bob.locator(".conversation-heading .topic").filter({ hasText: "Ship it by Friday" }).waitFor(TIMEOUT);
  assert.deepEqual(await header(bob), { title: "#launch-2026", topic: "Ship it by Friday" });
  await screenshot(bob, "chanmgmt-bob-renamed");

  // Archive: from the settings, confirmed in a dialog whose confirm button has the keyboard.
  await tabTo(alice, settingsButton);
  await alice.keyboard.press("Enter");
  await nameInput.waitFor(TIMEOUT);
  await tabTo(alice, alice.getByTestId("archive-channel"));
  await alice.keyboard.press("Enter");
  const confirm = alice.getByTestId("confirm-dialog");
  await confirm.waitFor(TIMEOUT);
  assert.ok(await confirm.getByTestId("confirm-ok").evaluate((el) => el === document.activeElement), "Archive has the keyboard");
  assert.match(await confirm.innerText(), /Archive #launch-2026\?/);
  await screenshot(alice, "chanmgmt-archive-confirm");
  await alice.keyboard.press("Enter");
  await alice.getByTestId("archived-notice").waitFor(TIMEOUT);
  await expectAccessible(alice, "an archived channel");
  assert.equal(await alice.getByTestId("unarchive-button").count(), 1, "the admin may unarchive from the notice");

  // Bob: the notice in place of the composer (no Unarchive for him), the channel under "Archived", greyed.
  const notice = bob.getByTestId("archived-notice");
  await notice.waitFor(TIMEOUT);
  assert.match(await notice.innerText(), /This channel is archived/);
  assert.equal(await bob.getByTestId("composer").count(), 0);
  assert.equal(await bob.getByTestId("unarchive-button").count(), 0);
  // Its messages are there to read, without reply, react, edit or delete.
  const kiwi = bob.locator(".message-row").filter({ hasText: "the kiwi launch checklist" });
  await kiwi.waitFor(TIMEOUT);
  assert.equal(await kiwi.getByTestId("reply-in-thread").count(), 0);
  assert.ok((await onScreen(notice)).inside, "the notice is on screen");
  const archivedRow = bob.getByTestId("archived-channels").getByTestId("conv-launch-2026");
  await archivedRow.waitFor(TIMEOUT);
  assert.equal(await bob.getByTestId("archived-tag").innerText(), "Archived");
  await screenshot(bob, "chanmgmt-bob-archived");

  // A reload keeps it archived.
  await bob.reload();
  await waitForStatus(bob, "connected");
  await waitForTitle(bob, "#launch-2026");
  await bob.getByTestId("archived-notice").waitFor(TIMEOUT);
  await bob.getByTestId("archived-channels").getByTestId("conv-launch-2026").waitFor(TIMEOUT);

  // Browsing lists the other public channels, not this one.
  await bob.getByTestId("browse-channels").click();
  const browser_ = bob.getByTestId("channel-browser");
  await browser_.getByText("#random").waitFor(TIMEOUT);
  assert.equal(await browser_.getByText("#launch-2026").count(), 0);
  await bob.keyboard.press("Escape");
  await browser_.waitFor({ state: "detached", ...TIMEOUT });

  // Bob still finds its messages in search.
  await bob.getByTestId("search-input").fill("kiwi");
  await bob.getByTestId("search-input").press("Enter");
  const results = bob.getByTestId("search-panel").locator(`[data-testid="search-results"][aria-busy="false"][data-query="kiwi"]`);
  await results.waitFor({ state: "attached", ...TIMEOUT });
  const hit = results.getByTestId("search-result").filter({ hasText: "kiwi launch checklist" });
  await hit.waitFor(TIMEOUT);
  assert.match(await hit.innerText(), /launch-2026/);
  await bob.keyboard.press("Escape");

  // On a phone, the notice is what bob sees under the list.
  const phoneContext = await browser("bob-chanmgmt-phone", { viewport: { width: 390, height: 844 } });
  contexts.push(phoneContext);
  const phone = await signIn(phoneContext, stack, "bob");
  await showConversationList(phone);
  await phone.getByTestId("archived-channels").getByTestId("conv-launch-2026").click();
  await waitForTitle(phone, "#launch-2026");
  const phoneNotice = phone.getByTestId("archived-notice");
  await phoneNotice.waitFor(TIMEOUT);
  const placed = await onScreen(phoneNotice);
  assert.ok(placed.inside, `the notice fits the phone's window: ${JSON.stringify(placed.box)}`);
  // Above it, the channel's messages, readable.
  const phoneMessage = phone.getByTestId("message-body").filter({ hasText: "the kiwi launch checklist" });
  await phoneMessage.waitFor(TIMEOUT);
  const message = await onScreen(phoneMessage);
  assert.ok(message.inside && message.box.y + message.box.height <= placed.box.y, `the message shows above the notice: ${JSON.stringify(message.box)}`);
  await screenshot(phone, "chanmgmt-phone-archived");

  // Alice unarchives from the notice, with the keyboard; bob can post again.
  await tabTo(alice, alice.getByTestId("unarchive-button"));
  await alice.keyboard.press("Enter");
  await alice.getByTestId("composer").waitFor(TIMEOUT);
  await bob.getByTestId("composer").waitFor(TIMEOUT);
  assert.equal(await bob.getByTestId("archived-notice").count(), 0);
  await bob.getByTestId("archived-channels").waitFor({ state: "detached", ...TIMEOUT });
  await kiwi.getByTestId("reply-in-thread").waitFor({ state: "attached", ...TIMEOUT });
  await bob.getByTestId("composer").fill("back in business");
  await bob.getByTestId("composer").press("Enter");
  await alice.getByTestId("message-body").filter({ hasText: "back in business" }).waitFor(TIMEOUT);
  await phone.getByTestId("composer").waitFor(TIMEOUT);

  // A reload keeps the name and the topic, and the channel open to posting.
  await alice.reload();
  await waitForStatus(alice, "connected");
  await waitForTitle(alice, "#launch-2026");
  assert.deepEqual(await header(alice), { title: "#launch-2026", topic: "Ship it by Friday" });
  await alice.getByTestId("composer").waitFor(TIMEOUT);
  await alice.getByTestId("message-body").filter({ hasText: "back in business" }).waitFor(TIMEOUT);
  await screenshot(alice, "chanmgmt-alice-after-reload");

  // On a phone, the admin reaches the settings from the header, and the dialog fits the window.
  const alicePhoneContext = await browser("alice-chanmgmt-phone", { viewport: { width: 390, height: 844 } });
  contexts.push(alicePhoneContext);
  const alicePhone = await signIn(alicePhoneContext, stack, "alice");
  await showConversationList(alicePhone);
  await alicePhone.getByTestId("conv-launch-2026").click();
  await waitForTitle(alicePhone, "#launch-2026");
  const phoneSettings = alicePhone.getByTestId("channel-settings-button");
  assert.ok((await onScreen(phoneSettings)).inside, "Settings is on screen");
  assert.ok((await onScreen(alicePhone.getByTestId("leave-button"))).inside, "Leave still fits beside it");
  assert.ok((await alicePhone.getByTestId("conversation-title").boundingBox()).width >= 80, "the title keeps room");
  await phoneSettings.click();
  const dialog = alicePhone.getByTestId("channel-settings");
  await dialog.waitFor(TIMEOUT);
  await expectAccessible(alicePhone, "the channel settings dialog on a phone");
  const fits = await onScreen(dialog);
  assert.ok(fits.inside, `the settings dialog fits the phone's window: ${JSON.stringify(fits.box)}`);
  assert.equal(await alicePhone.getByTestId("channel-topic-input").inputValue(), "Ship it by Friday");
  await screenshot(alicePhone, "chanmgmt-phone-settings");
  await alicePhone.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached", ...TIMEOUT });
});
