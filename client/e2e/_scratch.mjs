import { LocalStack, browser, signIn, screenshot, conversationId } from "./harness.mjs";
const stack = new LocalStack();
await stack.start();
try {
  const ctx = await browser("scratchkb");
  const page = await signIn(ctx, stack, "alice");
  page.on("console", (m) => console.log("console:", m.text()));
  const token = await stack.token("acme", "bob", "Bob Brown");
  const general = await conversationId(stack, token, "general");
  const root = (await stack.api(token, "POST", `/api/v1/chat/conversations/${general}/messages`, { clientMessageId: crypto.randomUUID(), body: "root msg", mentions: [] })).body;
  const r = await stack.api(token, "POST", `/api/v1/chat/conversations/${general}/messages`, { clientMessageId: crypto.randomUUID(), body: "a reply", mentions: [], threadRootId: root.id });
  console.log(r.status);
  await page.getByTestId("conv-random").click();
  await page.getByTestId("conv-general").click();
  const summary = page.getByTestId("messages").getByTestId("message").filter({ hasText: "root msg" }).getByTestId("thread-summary");
  await summary.waitFor();
  await page.waitForTimeout(1500);
  console.log("count", await summary.count(), await summary.evaluate((el) => [el.tagName, el.disabled, el.tabIndex, getComputedStyle(el).visibility, el.closest("[inert]") !== null]));
  await summary.focus();
  console.log("focused", await page.evaluate(() => document.activeElement?.getAttribute("data-testid")));
  await page.keyboard.press("Enter");
  await page.waitForTimeout(1000);
  console.log("focused after", await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), await page.getByTestId("thread-panel").count());
  await screenshot(page, "scratch-kb");
  await ctx.close();
} finally {
  await stack.stop();
}
