import type { Deps } from "../services/deps.js";
import type { Principal } from "./auth.js";

export type Logger = { info(msg: string, fields?: Record<string, unknown>): void; error(msg: string, fields?: Record<string, unknown>): void };

export type AppEnv = {
  Variables: {
    principal: Principal;
    requestId: string;
    deps: Deps;
  };
};
