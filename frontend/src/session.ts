// The shop the session token speaks for, shared with every view (its currency formats money).

import { createContext, useContext } from "react";

import type { Session } from "./api";

export const SessionContext = createContext<Session>({
  shop: "",
  name: null,
  locale: null,
  currency: null,
  timezone: null,
});

export function useSession(): Session {
  return useContext(SessionContext);
}
