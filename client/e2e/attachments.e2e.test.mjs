// Attachments in the browser: alice attaches a file (progress bar to done) and a picture, sends;
// bob downloads the file and sees the picture's preview.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { browser, screenshot, signIn, suite } from "./harness.mjs";

const { stack, contexts } = suite(before, after);

// A real 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

test("attach, watch the upload finish, and download as the other person", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tenant-chat-files-"));
  const report = join(dir, "quarterly report.txt");
  const content = "Q3 numbers\n".repeat(20_000);
  writeFileSync(report, content);
  const picture = join(dir, "pixel.png");
  writeFileSync(picture, PNG);

  const aliceContext = await browser("alice-files");
  const bobContext = await browser("bob-files");
  contexts.push(aliceContext, bobContext);
  const alice = await signIn(aliceContext, stack, "alice");
  const bob = await signIn(bobContext, stack, "bob");
  for (const page of [alice, bob]) await page.getByTestId("conv-general").click();

  await alice.getByTestId("file-input").setInputFiles([report, picture]);
  const uploads = alice.getByTestId("upload");
  await assert.doesNotReject(uploads.nth(1).waitFor());
  for (let i = 0; i < 2; i++) {
    await alice.locator(`[data-testid="upload"][data-state="done"]`).nth(i).waitFor({ timeout: 15_000 });
  }
  const progress = await alice.getByTestId("upload-progress").evaluateAll((bars) => bars.map((b) => b.value));
  assert.deepEqual(progress, [1, 1]);
  await screenshot(alice, "alice-uploads-done");
  await alice.getByTestId("composer").fill("Here are the files");
  await alice.getByTestId("send").click();
  await alice.locator('[data-testid="message"][data-state="sent"]').filter({ hasText: "Here are the files" }).waitFor();
  assert.equal(await alice.getByTestId("upload").count(), 0, "the tray empties once sent");

  const message = bob.locator('[data-testid="message"]').filter({ hasText: "Here are the files" });
  await message.waitFor({ timeout: 10_000 });
  await message.getByTestId("attachment-preview").waitFor({ timeout: 10_000 });
  const loaded = await message.getByTestId("attachment-preview").evaluate((img) => img.complete && img.naturalWidth === 1);
  assert.ok(loaded, "the picture's preview loads");
  const fileCard = message.getByTestId("attachment").filter({ hasText: "quarterly report.txt" });
  const [download] = await Promise.all([bob.waitForEvent("download"), fileCard.getByTestId("attachment-download").click()]);
  assert.equal(download.suggestedFilename(), "quarterly report.txt");
  const saved = await download.path();
  assert.equal(readFileSync(saved, "utf8"), content);
  await screenshot(bob, "bob-sees-attachments");
});

test("cancel an upload before it finishes", async () => {
  const alice = contexts[0].pages()[0];
  const dir = mkdtempSync(join(tmpdir(), "tenant-chat-cancel-"));
  const big = join(dir, "big.bin");
  writeFileSync(big, Buffer.alloc(8 * 1024 * 1024, 7));
  await alice.getByTestId("file-input").setInputFiles([big]);
  await alice.getByTestId("upload").first().waitFor();
  await alice.getByTestId("upload-cancel").first().click();
  await alice.getByTestId("upload").first().waitFor({ state: "detached" });
  assert.equal(await alice.getByTestId("upload").count(), 0);
});
