import { createHash } from 'node:crypto';

/** What the gateway presents upstream for one caller. */
export interface UpstreamCredential {
  apiKey: string;
  workspace: string | null;
  /**
   * Names the tenant in cache and dedupe keys: a digest of the key plus the workspace, so no cache
   * entry can be served to another credential and no key is kept in plain text as a map key.
   */
  scope: string;
}

export function createCredential(apiKey: string, workspace: string | null): UpstreamCredential {
  const digest = createHash('sha256').update(apiKey).digest('base64url');
  return { apiKey, workspace, scope: `${digest}|${workspace ?? ''}` };
}
