/** What the gateway presents upstream for one caller. */
export interface UpstreamCredential {
  apiKey: string;
  workspace: string | null;
}
