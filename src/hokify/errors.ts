export type HokifyErrorKind = "auth" | "http" | "timeout" | "network" | "protocol";

/**
 * The one error the Hokify client throws. Messages are built only from method, path, status and
 * schema issue paths, so they are safe to log: no tokens, no headers, no response bodies.
 */
export class HokifyError extends Error {
  override readonly name = "HokifyError";
  readonly kind: HokifyErrorKind;
  readonly status: number | undefined;
  /** HTTP requests made for the failed call, including retries. */
  readonly attempts: number;

  constructor(
    kind: HokifyErrorKind,
    message: string,
    detail: { attempts: number; status?: number; cause?: unknown },
  ) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.kind = kind;
    this.status = detail.status;
    this.attempts = detail.attempts;
  }
}

export const isHokifyError = (e: unknown): e is HokifyError => e instanceof HokifyError;
