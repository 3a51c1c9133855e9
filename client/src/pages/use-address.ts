// The chat page's address (lib/route.ts) kept in step with what it shows: the conversation, its
// open thread and a linked message (a reload and the sign-in come back to them); Back and Forward
// move between conversations, return to the place in one left scrolled up, and on a phone move
// between its panes (the list, the conversation, the thread).

import { useEffect, useRef, useState } from "react";

import type { ChatController, ChatSnapshot } from "../lib/chat-controller";
import { usePhone } from "../lib/layout";
import { backIsHistory, placeInHistory, rememberPlace, routeInUrl, showRouteInUrl, type Route } from "../lib/route";

export interface Address {
  /** Under 600 px: one pane at a time. */
  phone: boolean;
  /** A phone shows the conversation list (its first pane). */
  listPane: boolean;
  setListPane: (shown: boolean) => void;
  /** A conversation is being picked (sidebar, switcher): its pane shows, and the address waits
   * for it. Null: one whose id is not known yet (a DM being made). */
  pick: (id: string | null) => void;
  /** The linked message is no longer where the reader is. */
  forgetLink: () => void;
  /** A phone's Back control: through history when the pane behind came before this one in it
   * (as the browser's Back), else straight to it (`toPane`). */
  back: (toPane: () => void) => void;
}

export function useAddress(controller: ChatController, snapshot: ChatSnapshot, openRootId: string | null): Address {
  const phone = usePhone();
  // The page starts on the list unless its address names a conversation.
  const [listPane, setListPane] = useState(() => routeInUrl() === null);
  // The message a link named: it stays in the address (a reload shows it again) until the
  // reader moves to another conversation or thread.
  const [linked, setLinked] = useState<Route | null>(() => {
    const route = routeInUrl();
    return route?.messageId ? route : null;
  });
  const linkHolds = linked !== null && linked.conversationId === snapshot.activeId && linked.threadRootId === openRootId;
  const linkSeen = useRef(false);
  useEffect(() => {
    if (linkHolds) linkSeen.current = true;
    else if (linked && linkSeen.current) {
      linkSeen.current = false;
      setLinked(null);
    }
  }, [linked, linkHolds]);

  // The conversation just picked: the address waits for it (not the one it replaces, which
  // would leave a history entry of its own).
  const opening = useRef<string | null>(null);
  const pick = (id: string | null) => {
    // Leaving a conversation scrolled up: its history entry remembers where (Back returns there).
    if (snapshot.activeId && id !== snapshot.activeId) rememberPlace(snapshot.activeId);
    opening.current = id;
    setListPane(false);
  };

  useEffect(() => {
    // A link I cannot follow keeps its address (a reload says the same).
    if (snapshot.missingId) return;
    if (opening.current && opening.current !== snapshot.activeId) return;
    opening.current = null;
    if (phone && listPane) showRouteInUrl(null, true);
    else if (snapshot.activeId && !snapshot.showThreads) {
      showRouteInUrl({ conversationId: snapshot.activeId, threadRootId: openRootId, messageId: linkHolds ? (linked?.messageId ?? null) : null }, phone);
    }
  }, [snapshot.activeId, snapshot.showThreads, snapshot.missingId, openRootId, linkHolds, linked, phone, listPane]);

  useEffect(() => {
    const moved = () => {
      const route = routeInUrl();
      if (!route) {
        // Back to the list (a phone's first pane; a wide window shows it all along).
        setListPane(true);
        return;
      }
      setListPane(false);
      const { activeId, conversations, thread, missingId } = controller.getSnapshot();
      const mine = conversations.some((c) => c.id === route.conversationId);
      const place = placeInHistory();
      if (mine && !route.messageId && !route.threadRootId && route.conversationId !== activeId && place?.conversationId === route.conversationId) {
        void controller.returnTo(route.conversationId, place.messageId);
      } else if (route.messageId || missingId || !mine) {
        linkSeen.current = false;
        setLinked(route.messageId ? route : null);
        void controller.openLink(route.conversationId, route.threadRootId, route.messageId);
      } else if (route.threadRootId && (thread?.rootId !== route.threadRootId || route.conversationId !== activeId)) {
        void controller.openThread(route.conversationId, route.threadRootId);
      } else if (route.conversationId !== activeId) {
        void controller.open(route.conversationId);
      } else if (!route.threadRootId && thread) {
        controller.closeThread();
      }
    };
    window.addEventListener("popstate", moved);
    return () => window.removeEventListener("popstate", moved);
  }, [controller]);

  const back = (toPane: () => void) => {
    if (phone && backIsHistory()) window.history.back();
    else toPane();
  };
  return { phone, listPane, setListPane, pick, forgetLink: () => setLinked(null), back };
}
