import { describe, expect, it } from "vitest";

import { parseConfig, type ClientConfig } from "./config";

const LOCAL: ClientConfig = { apiUrl: "", wsUrl: "ws://127.0.0.1:3000/ws", devSignIn: true };

describe("config.json", () => {
  it("keeps the shape deployed before sign-in existed (API and socket only, no demo sign-in)", () => {
    expect(parseConfig({ apiUrl: "https://api.example/prod/", wsUrl: "wss://ws.example/prod" }, LOCAL)).toEqual({
      apiUrl: "https://api.example/prod",
      wsUrl: "wss://ws.example/prod",
      devSignIn: false,
      oidc: undefined,
    });
  });

  it("reads the oidc section, with the page's origin for what it leaves out", () => {
    const config = parseConfig(
      { devSignIn: true, oidc: { authority: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", clientId: "abc", logoutUrl: "https://d.auth.eu-west-1.amazoncognito.com/logout" } },
      LOCAL,
    );
    expect(config.apiUrl).toBe("");
    expect(config.wsUrl).toBe(LOCAL.wsUrl);
    expect(config.devSignIn).toBe(true);
    expect(config.oidc).toMatchObject({ authority: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", clientId: "abc", logoutUrl: "https://d.auth.eu-west-1.amazoncognito.com/logout" });
  });

  it("ignores an oidc section without an issuer or a client", () => {
    expect(parseConfig({ oidc: { authority: "https://idp.example" } }, LOCAL).oidc).toBeUndefined();
    expect(parseConfig({ oidc: "yes" }, LOCAL).oidc).toBeUndefined();
  });
});
