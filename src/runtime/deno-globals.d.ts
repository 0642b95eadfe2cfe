/**
 * The few Deno APIs src/runtime/deno.ts uses, so `tsc` checks it without @types/deno.
 * Deno itself brings its own complete types; this file is only read by tsc.
 */
declare namespace Deno {
  type Signal = "SIGTERM" | "SIGINT";

  interface Env {
    toObject(): Record<string, string>;
  }
  const env: Env;

  function exit(code?: number): never;
  function addSignalListener(signal: Signal, handler: () => void): void;

  interface NetAddr {
    transport: "tcp" | "udp";
    hostname: string;
    port: number;
  }
  interface ServeOptions {
    port?: number;
    hostname?: string;
    signal?: AbortSignal;
    onListen?: (localAddr: NetAddr) => void;
    onError?: (error: unknown) => Response | Promise<Response>;
  }
  interface HttpServer {
    readonly finished: Promise<void>;
    readonly addr: NetAddr;
    shutdown(): Promise<void>;
  }
  function serve(options: ServeOptions, handler: (request: Request) => Response | Promise<Response>): HttpServer;
}
