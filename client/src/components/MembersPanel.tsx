import type { Api } from "../lib/api";
import type { ChatController } from "../lib/chat-controller";
import type { ConversationSummary, Me } from "../lib/types";
import { UserPicker } from "./Sidebar";

/** Invite and remove members. In private channels only channel admins may; the server enforces it. */
export function MembersPanel({ api, conversation, me, controller, onClose }: { api: Api; conversation: ConversationSummary; me: Me; controller: ChatController; onClose: () => void }) {
  const canManage = conversation.kind === "public" || conversation.role === "admin" || me.roles.includes("tenant-admin");
  return (
    <aside className="members" data-testid="members-panel">
      <header>
        <h3>Members of #{conversation.name}</h3>
        <button className="link" onClick={onClose}>
          Close
        </button>
      </header>
      {canManage ? (
        <>
          <UserPicker api={api} me={me.userId} label="Invite someone…" onPick={(u) => void controller.invite(conversation.id, u.id)} testId="invite-search" />
          {conversation.role === "admin" && (
            <UserPicker api={api} me={me.userId} label="Remove someone…" onPick={(u) => void controller.removeMember(conversation.id, u.id)} testId="remove-search" />
          )}
        </>
      ) : (
        <p className="muted">Only channel admins can invite to a private channel.</p>
      )}
    </aside>
  );
}
