/// <reference types="node" />
// The page's CloudFront function (template.yaml `SpaRewrite`), run as CloudFront runs it: a path
// that is not a file is the page; files, and everything the APIs serve, are left alone (the
// APIs' behaviours never run it, but a file-looking API path would be safe anyway).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface Request {
  uri: string;
  querystring: Record<string, { value: string }>;
}

function spaRewrite(): (event: { request: Request }) => Request {
  const template = readFileSync(new URL("../../../template.yaml", import.meta.url), "utf8");
  const block = /^ {6}FunctionCode: \|\n((?: {8}.*\n|\n)+)/m.exec(template);
  if (!block?.[1]) throw new Error("template.yaml has no SpaRewrite FunctionCode block");
  const code = block[1].replace(/^ {8}/gm, "");
  // CloudFront's runtime evaluates the code and calls `handler`; so does this.
  return new Function(`${code}\nreturn handler;`)() as (event: { request: Request }) => Request;
}

const run = (uri: string) => spaRewrite()({ request: { uri, querystring: {} } }).uri;

describe("the site's viewer-request function", () => {
  it("serves the page for the root and for app paths, the sign-in callback included", () => {
    expect(run("/")).toBe("/index.html");
    expect(run("/c/C01JD00000000000000000000AB")).toBe("/index.html");
    expect(run("/callback")).toBe("/index.html");
  });

  it("leaves files alone, so a missing one is a 403 and not the page", () => {
    expect(run("/index.html")).toBe("/index.html");
    expect(run("/config.json")).toBe("/config.json");
    expect(run("/assets/index-3f2a9c.js")).toBe("/assets/index-3f2a9c.js");
    expect(run("/assets/missing.css")).toBe("/assets/missing.css");
  });

  it("keeps the query string (the identity provider's code and state)", () => {
    const request = { uri: "/", querystring: { code: { value: "abc" }, state: { value: "xyz" } } };
    expect(spaRewrite()({ request }).querystring).toEqual({ code: { value: "abc" }, state: { value: "xyz" } });
  });
});
