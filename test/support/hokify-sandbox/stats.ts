/** What the sandbox has served; tests assert on these rather than on timing. */
export interface SandboxStats {
  tokenRequests: number;
  tokensIssued: number;
  tokenRejected: number;
  dataRequests: number;
  served200: number;
  served400: number;
  served401: number;
  served429: number;
  served500: number;
  servedMalformed: number;
  webhooksSent: number;
}

export function emptyStats(): SandboxStats {
  return {
    tokenRequests: 0,
    tokensIssued: 0,
    tokenRejected: 0,
    dataRequests: 0,
    served200: 0,
    served400: 0,
    served401: 0,
    served429: 0,
    served500: 0,
    servedMalformed: 0,
    webhooksSent: 0,
  };
}
