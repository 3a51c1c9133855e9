// The first stops of the Tab order (shown when focused): straight to the message you would
// read or write, past the sidebar's conversations.

import { focusCurrentMessage } from "../lib/roving";

export function SkipLinks() {
  return (
    <div className="skip-links">
      <button type="button" onClick={() => document.querySelector<HTMLElement>(".conversation [data-testid=composer]")?.focus()} data-testid="skip-to-composer">
        Skip to the message composer
      </button>
      <button type="button" onClick={() => focusCurrentMessage()} data-testid="skip-to-messages">
        Skip to the messages
      </button>
    </div>
  );
}
